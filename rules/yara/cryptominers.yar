/*
  medshield starter rules: common cryptocurrency miners (XMRig,
  xmr-stak) and their configurations. Written for medshield.
*/

rule Miner_XMRig : miner
{
    meta:
        author = "medshield"
        description = "XMRig Monero miner binary or build"
        severity = 60
        attack = "T1496"
    strings:
        $a1 = "xmrig" ascii wide nocase fullword
        $a2 = "XMRig/" ascii
        $b1 = "--donate-level" ascii
        $b2 = "randomx" ascii nocase
        $b3 = "stratum+tcp://" ascii
        $b4 = "cryptonight" ascii nocase
    condition:
        ($a1 or $a2) and 2 of ($b*)
}

rule Miner_XMR_Stak : miner
{
    meta:
        author = "medshield"
        description = "xmr-stak Monero miner"
        severity = 60
        attack = "T1496"
    strings:
        $a = "xmr-stak" ascii nocase
        $b1 = "pool_address" ascii
        $b2 = "cryptonight" ascii nocase
        $b3 = "stratum+tcp://" ascii
    condition:
        $a and 1 of ($b*)
}

rule Miner_Config_JSON : miner
{
    meta:
        author = "medshield"
        description = "Miner configuration file: pool URL with wallet/user and miner options"
        severity = 50
        attack = "T1496"
    strings:
        $pool = /"url"\s*:\s*"(stratum\+(tcp|ssl|tls):\/\/)?[a-z0-9.\-]+:[0-9]{2,5}"/ nocase
        $user = /"user"\s*:\s*"[0-9a-zA-Z]{40,}/
        $opt1 = "\"donate-level\"" ascii
        $opt2 = "\"pools\"" ascii
        $opt3 = "\"randomx\"" ascii
    condition:
        filesize < 1MB and $pool and ($user or 2 of ($opt*))
}
