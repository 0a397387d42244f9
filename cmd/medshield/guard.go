package main

func cmdGuard() command {
	return pending("guard", "ransomware shield and miner detection in the foreground")
}
