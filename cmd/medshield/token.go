package main

func cmdToken() command { return pending("token", "manage enrolment tokens") }
