//go:build linux

package test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lime-p4/lime/internal/netdemo"
	"github.com/lime-p4/lime/test/lab"
)

// BenchmarkHostMoveLoss (issue 12): datagrams lost per host move, with
// Linux hosts in network namespaces (their kernels send UDP with sequence
// numbers between every pair of hosts; AF_PACKET ports on the simulator),
// at 1,000 and 10,000 datagrams/s in all, while lime migrate --plan moves
// the network of internal/netdemo (six host moves in three groups) and the
// controller writes through the proxy. A datagram counts against a host's
// move when it was sent to or from that host while the move ran. Reported:
// the most lost at one move (the goal is 0), the total lost at moves, and
// the total lost over the whole plan. Needs root; skips otherwise.
func BenchmarkHostMoveLoss(b *testing.B) {
	for _, rate := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			var worst, atMoves, total, sent int64
			for range b.N {
				w, m, tl, s := hostMoveLoss(b, rate)
				worst, atMoves, total, sent = max(worst, w), atMoves+m, total+tl, sent+s
			}
			b.ReportMetric(float64(worst), "lost-worst-move")
			b.ReportMetric(float64(atMoves)/float64(b.N*len(netdemo.Hosts)), "lost/move")
			b.ReportMetric(float64(total)/float64(b.N), "lost/plan")
			b.ReportMetric(float64(sent)/float64(b.N), "sent/plan")
		})
	}
}

// hostMoveLoss runs the plan once at rate, and returns the most lost at
// one host's move, the lost at moves, the lost in all and the sent.
func hostMoveLoss(b *testing.B, rate int) (worst, atMoves, total, sent int64) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	n := startNetwork(b, ctx, simSwitches(b, lab.Veth))
	n.openFlows()
	ctx2, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { n.traffic.Run(ctx2, rate); close(done) }()
	go n.ctl.Churn(ctx2, 5*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	runLime(b, ctx, 0, "migrate", "--admin", n.admin, "--admin-token-file", n.token(), "--plan", n.plan)
	time.Sleep(500 * time.Millisecond)
	stop()
	<-done
	time.Sleep(300 * time.Millisecond) // what is in flight arrives
	rep := n.traffic.Report()
	pl, err := n.adminClient().Plan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var perMove []int
	for _, h := range netdemo.Hosts {
		for _, tr := range pl.History {
			if tr.Device == uint64(h.Switch) && tr.Task == fmt.Sprintf("move-host %d", h.Port) && tr.Error == "" {
				l := rep.LostBetween(h.Name, tr.Start, tr.Start.Add(tr.Took))
				perMove = append(perMove, l)
				atMoves += int64(l)
			}
		}
	}
	if len(perMove) > 0 {
		worst = int64(slices.Max(perMove))
	}
	b.Logf("rate %d/s: %d sent, %d lost (%d at host moves: %v)", rate, rep.Sent, rep.Lost, atMoves, perMove)
	return worst, atMoves, rep.Lost, rep.Sent
}
