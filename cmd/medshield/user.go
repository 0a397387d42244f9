package main

func cmdUser() command { return pending("user", "manage console users and API keys") }
