/*
  medshield starter rules: traits of the WannaCry ransomware family.
  Written for medshield from public descriptions of the family (strings
  the samples carry); no third-party rule content.
*/

rule Ransom_WannaCry_Traits : ransomware wannacry
{
    meta:
        author = "medshield"
        description = "Windows executable with several WannaCry traits: resource names, mutex/ransom strings, kill-switch domain, commands it runs"
        severity = 90
        attack = "T1486"
    strings:
        $name1 = "WanaCrypt0r" ascii wide
        $name2 = "WANACRY!" ascii
        $name3 = "WNcry@2ol7" ascii
        $ext = ".WNCRY" ascii wide
        $res1 = "msg/m_english.wnry" ascii
        $res2 = "tasksche.exe" ascii wide
        $res3 = "@WanaDecryptor@" ascii wide
        $cmd1 = "icacls . /grant Everyone:F /T /C /Q" ascii
        $cmd2 = "attrib +h ." ascii
        $kill = "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea" ascii
    condition:
        uint16(0) == 0x5A4D and filesize < 10MB and
        (3 of ($name*, $ext, $res*, $kill) or (1 of ($name*) and 1 of ($cmd*)))
}
