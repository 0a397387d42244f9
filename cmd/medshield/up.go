package main

func cmdUp() command { return pending("up", "run server and local agent on embedded defaults") }
