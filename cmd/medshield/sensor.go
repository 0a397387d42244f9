package main

func cmdSensor() command {
	return pending("sensor", "network threat detection on a pcap or an interface")
}
