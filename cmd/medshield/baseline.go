package main

func cmdBaseline() command { return pending("baseline", "check security baselines (SCA policies)") }
