package main

func cmdQuarantine() command {
	return pending("quarantine", "list, restore or delete quarantined files")
}
