package main

func cmdEvtx() command {
	return pending("evtx", "read Windows .evtx files (dump as XML or JSON lines)")
}
