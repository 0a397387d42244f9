package main

func cmdAgent() command { return pending("agent", "enrol and run the endpoint agent") }
