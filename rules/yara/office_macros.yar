/*
  medshield starter rules: Office documents whose VBA macros run on open
  and download or start programs. Written for medshield.
*/

rule Office_Macro_AutoExec_Dropper : maldoc
{
    meta:
        author = "medshield"
        description = "Office document (OLE2 or OOXML with vbaProject.bin) with an auto-run macro that downloads or executes"
        severity = 70
        attack = "T1204.002"
    strings:
        $ole = { D0 CF 11 E0 A1 B1 1A E1 }
        $ooxml_vba = "vbaProject.bin" ascii
        $auto1 = "AutoOpen" ascii nocase
        $auto2 = "Document_Open" ascii nocase
        $auto3 = "Workbook_Open" ascii nocase
        $auto4 = "Auto_Open" ascii nocase
        $run1 = "URLDownloadToFile" ascii nocase
        $run2 = "WScript.Shell" ascii nocase
        $run3 = "powershell" ascii nocase
        $run4 = "Shell(" ascii nocase
        $run5 = "CreateObject(\"MSXML2.XMLHTTP" ascii nocase
        $run6 = "ADODB.Stream" ascii nocase
    condition:
        ($ole at 0 or (uint32(0) == 0x04034B50 and $ooxml_vba)) and
        any of ($auto*) and 2 of ($run*)
}
