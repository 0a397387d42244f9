package main

func cmdScan() command {
	return pending("scan", "scan files or a process for malware (YARA rules, hash indicators)")
}
