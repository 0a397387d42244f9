package main

func cmdServer() command { return pending("server", "run the medshield server") }
