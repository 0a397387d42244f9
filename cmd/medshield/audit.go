package main

func cmdAudit() command { return pending("audit", "verify and show the hash-chained audit log") }
