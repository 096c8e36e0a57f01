package netdemo

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Sender sends a host's datagrams (a DualHost, a kernel host): datagram seq
// to host to, on its UDP port dport.
type Sender interface {
	Send(to Host, dport uint16, seq uint64) error
}

// Traffic sends numbered datagrams between pairs of hosts and counts what
// arrives: every datagram sent is delivered once, at its receiver, or it
// is lost. It is safe for concurrent use: DeliverDatagram is called by the
// hosts' receivers while Run sends.
type Traffic struct {
	hosts []Sender // by Hosts index
	pairs [][2]int

	mu         sync.Mutex
	sentAt     [][]time.Time // per pair: when each datagram was sent (seq = index)
	got        []map[uint64]int
	sendErrs   []int64
	lastErr    error
	misplaced  int64 // received by a host it was not for
	wrongMAC   int64 // received with another destination MAC than the receiver's
	foreign    int64 // datagrams of no pair the traffic sends (a probe)
	dupes      int64
	pairOfHost map[[2]int]int
}

// AllPairs are every ordered pair of distinct hosts.
func AllPairs() [][2]int {
	var out [][2]int
	for i := range Hosts {
		for j := range Hosts {
			if i != j {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// NewTraffic sends between pairs (indexes in Hosts) through hosts (by
// Hosts index).
func NewTraffic(hosts []Sender, pairs [][2]int) *Traffic {
	t := &Traffic{hosts: hosts, pairs: pairs, sentAt: make([][]time.Time, len(pairs)), got: make([]map[uint64]int, len(pairs)),
		sendErrs: make([]int64, len(pairs)), pairOfHost: map[[2]int]int{}}
	for i, p := range pairs {
		t.got[i] = map[uint64]int{}
		t.pairOfHost[p] = i
	}
	return t
}

// Run sends rate datagrams per second in all, round robin over the pairs,
// until ctx ends.
func (t *Traffic) Run(ctx context.Context, rate int) {
	const tick = 2 * time.Millisecond
	start := time.Now()
	tk := time.NewTicker(tick)
	defer tk.Stop()
	sent, next := 0, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		due := int(time.Since(start).Seconds() * float64(rate))
		for n := 0; sent < due && n < rate/10+1; n++ { // at most 100 ms behind at once
			t.send(next)
			next = (next + 1) % len(t.pairs)
			sent++
		}
		if due-sent > rate { // too far behind: the machine is slow, do not burst
			sent = due
		}
	}
}

// send sends the next datagram of pair i.
func (t *Traffic) send(i int) {
	p := t.pairs[i]
	t.mu.Lock()
	seq := uint64(len(t.sentAt[i]))
	t.sentAt[i] = append(t.sentAt[i], time.Now())
	t.mu.Unlock()
	if err := t.hosts[p[0]].Send(Hosts[p[1]], Hosts[p[1]].UDPPort, seq); err != nil {
		t.mu.Lock()
		t.sendErrs[i]++
		t.lastErr = err
		t.mu.Unlock()
	}
}

// DeliverDatagram records a datagram host at received; withMAC says
// whether d.DstMAC is the frame's (a kernel host's socket does not see it).
func (t *Traffic) DeliverDatagram(at int, d Datagram, withMAC bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.pairOfHost[[2]int{d.From, d.To}]
	switch {
	case !ok:
		t.foreign++ // a probe of another test, say
	case d.To != at:
		t.misplaced++
	default:
		if withMAC && d.DstMAC != [6]byte(Hosts[at].MAC) {
			t.wrongMAC++
		}
		if t.got[i][d.Seq]++; t.got[i][d.Seq] > 1 {
			t.dupes++
		}
	}
}

// Report is what the traffic counted.
type Report struct {
	Sent, Delivered, Lost int64
	// SendErrors are datagrams a host could not send (no link up): lost.
	SendErrors int64
	// Duplicates, Misplaced (delivered to another host) and WrongMAC
	// (delivered with another destination MAC) are errors of the
	// forwarding.
	Duplicates, Misplaced, WrongMAC int64
	Pairs                           []PairReport
	// Losses are the datagrams lost, with when they were sent.
	Losses  []Loss
	LastErr error
}

// PairReport is one pair's traffic.
type PairReport struct {
	From, To        string
	Sent, Delivered int64
}

// Loss is one datagram lost.
type Loss struct {
	From, To string
	Seq      uint64
	Sent     time.Time
}

// Report counts what was sent and delivered; call it once the traffic
// stopped and the frames in flight arrived.
func (t *Traffic) Report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := Report{Duplicates: t.dupes, Misplaced: t.misplaced, WrongMAC: t.wrongMAC, LastErr: t.lastErr}
	for i, p := range t.pairs {
		pr := PairReport{From: Hosts[p[0]].Name, To: Hosts[p[1]].Name, Sent: int64(len(t.sentAt[i]))}
		for seq, at := range t.sentAt[i] {
			if t.got[i][uint64(seq)] > 0 {
				pr.Delivered++
				continue
			}
			r.Losses = append(r.Losses, Loss{From: pr.From, To: pr.To, Seq: uint64(seq), Sent: at})
		}
		r.Sent += pr.Sent
		r.Delivered += pr.Delivered
		r.SendErrors += t.sendErrs[i]
		r.Pairs = append(r.Pairs, pr)
	}
	r.Lost = r.Sent - r.Delivered
	return r
}

// Clean reports an error unless every datagram arrived once, at its
// receiver, addressed to it.
func (r Report) Clean() error {
	if r.Lost == 0 && r.Duplicates == 0 && r.Misplaced == 0 && r.WrongMAC == 0 {
		return nil
	}
	first := ""
	if len(r.Losses) > 0 {
		l := r.Losses[0]
		first = fmt.Sprintf("; first lost: %s -> %s #%d sent at %s", l.From, l.To, l.Seq, l.Sent.Format("15:04:05.000"))
	}
	return fmt.Errorf("traffic: %d sent, %d delivered, %d lost (%d could not be sent: %v), %d duplicated, %d at the wrong host, %d with a wrong MAC%s",
		r.Sent, r.Delivered, r.Lost, r.SendErrors, r.LastErr, r.Duplicates, r.Misplaced, r.WrongMAC, first)
}

// LostBetween counts the datagrams lost that were sent between from and to
// and involve host (as sender or receiver; "" for any).
func (r Report) LostBetween(host string, from, to time.Time) int {
	n := 0
	for _, l := range r.Losses {
		if (host == "" || l.From == host || l.To == host) && !l.Sent.Before(from) && l.Sent.Before(to) {
			n++
		}
	}
	return n
}

// Window counts the datagrams sent between from and to, and how many of
// them were delivered; call it once the traffic stopped.
func (t *Traffic) Window(from, to time.Time) (sent, delivered int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.pairs {
		for seq, at := range t.sentAt[i] {
			if at.Before(from) || !at.Before(to) {
				continue
			}
			sent++
			if t.got[i][uint64(seq)] > 0 {
				delivered++
			}
		}
	}
	return sent, delivered
}

// ProbeSeq is the first sequence number of probes, above any the traffic
// reaches: a receiver passes datagrams from there on to Probes.Got.
const ProbeSeq = 1 << 40

// Probes sends single datagrams to see whether, and where, they arrive.
// It is safe for concurrent use.
type Probes struct {
	mu      sync.Mutex
	waiting map[uint64]chan int // seq -> the host it arrived at
	next    uint64
}

// NewProbes returns a prober.
func NewProbes() *Probes { return &Probes{waiting: map[uint64]chan int{}, next: ProbeSeq} }

// Send sends one datagram from host a (through from) to host b on port
// dport and reports whether it reached b within wait (an error when it
// reached another host).
func (ps *Probes) Send(from Sender, a, b Host, dport uint16, wait time.Duration) (bool, error) {
	ps.mu.Lock()
	seq := ps.next
	ps.next++
	ch := make(chan int, 4)
	ps.waiting[seq] = ch
	ps.mu.Unlock()
	defer func() {
		ps.mu.Lock()
		delete(ps.waiting, seq)
		ps.mu.Unlock()
	}()
	if err := from.Send(b, dport, seq); err != nil {
		return false, err
	}
	select {
	case at := <-ch:
		if at != b.Index() {
			return false, fmt.Errorf("%s -> %s arrived at %s", a.Name, b.Name, Hosts[at].Name)
		}
		return true, nil
	case <-time.After(wait):
		return false, nil
	}
}

// Got takes a probe host i received.
func (ps *Probes) Got(i int, d Datagram) {
	ps.mu.Lock()
	ch := ps.waiting[d.Seq]
	ps.mu.Unlock()
	if ch != nil {
		select {
		case ch <- i:
		default:
		}
	}
}
