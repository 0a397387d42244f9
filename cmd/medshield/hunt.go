package main

func cmdHunt() command { return pending("hunt", "hunt event logs with Sigma rules") }
