/*
  medshield starter rules: the EICAR anti-virus test file.
  Written for medshield; no third-party content.
*/

rule EICAR_Test_File : test
{
    meta:
        author = "medshield"
        description = "EICAR standard anti-virus test file (harmless, used to check that scanning works)"
        severity = 10
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 and filesize < 128
}
