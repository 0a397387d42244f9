package main

func cmdVuln() command { return pending("vuln", "vulnerability posture: inventory and OSV matching") }
