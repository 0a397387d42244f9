import "pe"
include "other.yar"
global private rule base : tag1 tag2 {
  meta:
    author = "medshield" score = -5 ok = true
  strings:
    $a = "text\x41\n" nocase wide ascii fullword private
    $b = { 4D 5A ?? 9? ~00 [2-4] ( 01 | 02 03 ) [-] FF } // comment
    $c = /ab[c-e]+\x00{2,}/is
    $d = "xor" xor(1-20)
    $e = "b64" base64("!@#$%^&*(){}[].,|ABCDEFGHIJ\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu")
  condition:
    uint16(0) == 0x5A4D and #a > 2 and @a[1] < 0x100 and !b[1] == 4 and
    $c at 10 and $d in (0..filesize) and 2 of ($a, $b*) and 50% of them and
    for any i in (1..#a) : (@a[i] > 5) and for all of ($a, $b) : ($ at 0) and
    for any s in pe.sections : (s.name == ".text") and pe.exports(/^Dll/i) and
    "abc" icontains "B" and not defined pe.number_of_sections and 1 + 2 * 3 \ 4 % 5 << 1 | 7 & ~1 ^ 3 > -1
}
