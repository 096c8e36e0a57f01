package difftest

// Safe reports whether a session can be sent to real bmv2 without killing
// it: no stream that holds a connection re-arbitrates with an election id
// another stream of the same device id holds (PI then drops the connection
// and fails an assertion when the stream ends). The generator never makes
// such a session; a minimisation that removes steps (a controller's leave,
// say) could, and skips it.
func Safe(steps []Step) bool {
	var conns [Streams]conn
	for _, s := range steps {
		switch s.Op {
		case OpLeave:
			conns[s.Stream] = conn{}
		case OpArbitrate:
			c := &conns[s.Stream]
			dev, eid := s.Arb.GetDeviceId(), s.Arb.GetElectionId().GetLow()
			held := false
			for j, o := range conns {
				if j != s.Stream && o.open && o.device == dev && o.election == eid && s.Arb.GetElectionId().GetHigh() == 0 {
					held = true
				}
			}
			switch {
			case c.open && c.device != dev:
				*c = conn{}
			case c.open && held:
				return false
			case held: // a new stream with a held id: refused, closed
			default:
				*c = conn{open: true, device: dev, election: eid}
			}
		}
	}
	return true
}
