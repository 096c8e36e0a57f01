package difftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// Timeouts of one step.
const (
	// rpcTimeout bounds one unary RPC or read (a pipeline push of a big
	// program included).
	rpcTimeout = 30 * time.Second
	// streamFirst bounds the wait for the first message an arbitration
	// causes on its own stream.
	streamFirst = 2 * time.Second
	// leaveFirst bounds the wait for what a controller's leave causes
	// (the switch notices the stream's end a moment later; often nothing
	// comes).
	leaveFirst = 250 * time.Millisecond
	// streamQuiet is how long the streams must stay silent for an
	// arbitration's or a leave's effects to be over.
	streamQuiet = 40 * time.Millisecond
)

// Target is one switch a session runs on: a P4Runtime address and the
// controller streams open on it.
type Target struct {
	Name string
	conn *grpc.ClientConn
	p4   p4v1.P4RuntimeClient
	// streams are the open controller streams (nil when closed).
	streams [Streams]*stream
	// msgs gathers what every stream receives.
	msgs chan StreamMsg
}

type stream struct {
	s      p4v1.P4Runtime_StreamChannelClient
	cancel context.CancelFunc
	done   chan struct{}
	// closing is set once the session closes the stream: its end is then
	// the session's doing, not a message of the switch.
	closing atomic.Bool
}

// Dial connects to a switch's P4Runtime address.
func Dial(name, addr string) (*Target, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Target{Name: name, conn: conn, p4: p4v1.NewP4RuntimeClient(conn), msgs: make(chan StreamMsg, 256)}, nil
}

// Close closes the streams and the connection.
func (t *Target) Close() error {
	t.CloseStreams()
	return t.conn.Close()
}

// CloseStreams closes every open stream and waits for their readers, so
// that a new session starts with no controller connected.
func (t *Target) CloseStreams() {
	for i := range t.streams {
		t.closeStream(i)
	}
	for {
		select {
		case <-t.msgs:
		default:
			return
		}
	}
}

func (t *Target) closeStream(i int) {
	s := t.streams[i]
	if s == nil {
		return
	}
	t.streams[i] = nil
	s.closing.Store(true) // before the switch can answer the half-close
	_ = s.s.CloseSend()
	s.cancel()
	<-s.done
}

// openStream opens stream i and starts its reader.
func (t *Target) openStream(i int) error {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := t.p4.StreamChannel(ctx)
	if err != nil {
		cancel()
		return err
	}
	st := &stream{s: s, cancel: cancel, done: make(chan struct{})}
	t.streams[i] = st
	go func() {
		defer close(st.done)
		for {
			m, err := s.Recv()
			if err != nil {
				if ctx.Err() == nil && !st.closing.Load() { // not closed by the session
					code := status.Code(err)
					if errors.Is(err, io.EOF) {
						code = codes.OK
					}
					t.msgs <- StreamMsg{Stream: i, End: true, Code: code}
				}
				return
			}
			if a := m.GetArbitration(); a != nil {
				t.msgs <- StreamMsg{Stream: i, Code: codes.Code(a.GetStatus().GetCode()), ElectionID: electionString(a.GetElectionId())}
			}
		}
	}()
	return nil
}

func electionString(u *p4v1.Uint128) string {
	if u == nil {
		return "none"
	}
	return fmt.Sprintf("%d:%d", u.GetHigh(), u.GetLow())
}

// Do sends one step and returns the answer.
func (t *Target) Do(step Step) Answer {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	switch step.Op {
	case OpArbitrate:
		return t.arbitrate(step)
	case OpLeave:
		if t.streams[step.Stream] == nil {
			return Answer{}
		}
		t.closeStream(step.Stream)
		return Answer{Stream: t.gather(-1, leaveFirst)}
	case OpPipeline:
		_, err := t.p4.SetForwardingPipelineConfig(ctx, step.Pipe)
		return errAnswer(err)
	case OpWrite:
		_, err := t.p4.Write(ctx, step.Write)
		a := errAnswer(err)
		if st, ok := status.FromError(err); ok && st.Code() == codes.Unknown {
			for _, d := range st.Proto().GetDetails() {
				var pe p4v1.Error
				if d.UnmarshalTo(&pe) != nil {
					a.Updates = append(a.Updates, codes.Internal)
					a.UpdateMsgs = append(a.UpdateMsgs, "detail is not a p4.v1.Error: "+d.GetTypeUrl())
					continue
				}
				a.Updates = append(a.Updates, codes.Code(pe.GetCanonicalCode()))
				a.UpdateMsgs = append(a.UpdateMsgs, pe.GetMessage())
			}
		}
		return a
	case OpRead:
		return t.read(ctx, step.Read)
	}
	return Answer{Code: codes.Internal, Msg: "unknown step " + step.Op.String()}
}

func errAnswer(err error) Answer {
	if err == nil {
		return Answer{}
	}
	st := status.Convert(err)
	return Answer{Code: st.Code(), Msg: st.Message()}
}

func (t *Target) read(ctx context.Context, req *p4v1.ReadRequest) Answer {
	rs, err := t.p4.Read(ctx, req)
	if err != nil {
		return errAnswer(err)
	}
	var ents []string
	for {
		resp, err := rs.Recv()
		if err != nil {
			a := Answer{Entities: ents}
			if !errors.Is(err, io.EOF) {
				e := errAnswer(err)
				a.Code, a.Msg = e.Code, e.Msg
			}
			slices.Sort(a.Entities)
			return a
		}
		for _, e := range resp.GetEntities() {
			ents = append(ents, normalise(e))
		}
	}
}

// normalise renders an entity read back, with what the specification
// leaves to the switch taken out: the time since an entry's last hit
// (whose value is the switch's clock) and the order of a multicast group's
// or clone session's replicas (PI reads them by instance from a hash map;
// P4Runtime spec 9.5.1 gives them no order).
func normalise(e *p4v1.Entity) string {
	e = proto.Clone(e).(*p4v1.Entity)
	if te := e.GetTableEntry(); te != nil && te.GetTimeSinceLastHit() != nil {
		te.TimeSinceLastHit.ElapsedNs = 0
	}
	pre := e.GetPacketReplicationEngineEntry()
	for _, rs := range [][]*p4v1.Replica{pre.GetMulticastGroupEntry().GetReplicas(), pre.GetCloneSessionEntry().GetReplicas()} {
		slices.SortFunc(rs, func(a, b *p4v1.Replica) int {
			return strings.Compare(prototext.Format(a), prototext.Format(b))
		})
	}
	return strings.Join(strings.Fields(prototext.MarshalOptions{}.Format(e)), " ")
}

// arbitrate sends an arbitration update on its stream and gathers what
// the streams receive until they are quiet.
func (t *Target) arbitrate(step Step) Answer {
	i := step.Stream
	if t.streams[i] == nil {
		if err := t.openStream(i); err != nil {
			return errAnswer(err)
		}
	}
	err := t.streams[i].s.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{Arbitration: step.Arb}})
	if err != nil {
		return Answer{Code: codes.Unavailable, Msg: "send: " + err.Error()}
	}
	return Answer{Stream: t.gather(i, streamFirst)}
}

// gather collects stream messages: it waits up to wait for the first
// (on stream first, or on any for -1), then until the streams stay quiet
// for streamQuiet. A stream that ended is closed.
func (t *Target) gather(first int, wait time.Duration) []StreamMsg {
	var out []StreamMsg
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case m := <-t.msgs:
			out = append(out, m)
			if m.End {
				if s := t.streams[m.Stream]; s != nil {
					t.streams[m.Stream] = nil
					s.cancel()
					<-s.done
				}
			}
			timer.Reset(streamQuiet)
		case <-timer.C:
			slices.SortStableFunc(out, func(a, b StreamMsg) int { return a.Stream - b.Stream })
			return out
		}
	}
}
