/*
  medshield starter rules: basic web shells (PHP, JSP, ASP.NET) that run
  code or commands taken from the HTTP request. Written for medshield.
*/

rule Webshell_PHP_Request_Eval : webshell
{
    meta:
        author = "medshield"
        description = "PHP script that evaluates or executes data from the request"
        severity = 80
        attack = "T1505.003"
    strings:
        $php = "<?php" ascii nocase
        $e1 = /(eval|assert|system|passthru|shell_exec|exec|popen|proc_open)\s*\(\s*(base64_decode\s*\(\s*|gzinflate\s*\(\s*|str_rot13\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $e2 = /preg_replace\s*\(\s*['"]\/.{0,40}\/e['"]/ nocase
        $e3 = /\$_(GET|POST|REQUEST)\s*\[[^\]]{1,40}\]\s*\(\s*\$_(GET|POST|REQUEST)/ nocase
    condition:
        filesize < 512KB and $php and any of ($e*)
}

rule Webshell_JSP_Runtime_Exec : webshell
{
    meta:
        author = "medshield"
        description = "JSP page that runs a command from a request parameter"
        severity = 80
        attack = "T1505.003"
    strings:
        $a = /Runtime\.getRuntime\(\)\.exec\(\s*request\.getParameter\(/
        $b = /new\s+ProcessBuilder\([^)]{0,80}request\.getParameter\(/
    condition:
        filesize < 512KB and any of them
}

rule Webshell_ASPX_Eval : webshell
{
    meta:
        author = "medshield"
        description = "ASP/ASP.NET page that evaluates request data"
        severity = 80
        attack = "T1505.003"
    strings:
        $a = /eval\s*\(\s*Request(\.Item)?\s*[\[(]/ nocase
        $b = /Process\.Start\s*\([^)]{0,60}Request/ nocase
        $page = /<%@\s*Page/ nocase
    condition:
        filesize < 512KB and ($a or ($b and $page))
}
