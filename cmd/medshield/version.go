package main

func cmdVersion() command { return pending("version", "print the version") }
