package p4test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
	"github.com/lime-p4/lime/p4/info"
)

// FuzzP4Runtime fuzzes the P4Runtime server at addr, which serves device
// deviceID running the program in: each input is a Write, a Read or a
// stream message (its first byte chooses; the rest is the request's
// encoding), sent as a controller (a primary one, election id 1, holds a
// stream open meanwhile). The server must answer each without crashing,
// with a canonical status (never UNKNOWN), and go on answering. The seeds
// are well-formed requests: writes of a generated state, wildcard reads
// of every kind, arbitration and packet-out.
func FuzzP4Runtime(f *testing.F, addr string, deviceID uint64, in *info.Info) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	cl := p4v1.NewP4RuntimeClient(conn)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	primary, err := cl.StreamChannel(ctx)
	if err != nil {
		f.Fatal(err)
	}
	eid := &p4v1.Uint128{Low: 1}
	if err := primary.Send(&p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{
		Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: deviceID, ElectionId: eid}}}); err != nil {
		f.Fatal(err)
	}
	if _, err := primary.Recv(); err != nil {
		f.Fatal(err)
	}
	go func() { // the primary's stream is drained until the end
		for {
			if _, err := primary.Recv(); err != nil {
				return
			}
		}
	}()
	add := func(kind byte, m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{kind}, b...))
	}
	for _, e := range NewGen(in, 1).State(2) {
		add(0, &p4v1.WriteRequest{DeviceId: deviceID, ElectionId: eid, Updates: []*p4v1.Update{{Type: p4v1.Update_INSERT, Entity: e}}})
		add(1, &p4v1.ReadRequest{DeviceId: deviceID, Entities: []*p4v1.Entity{entity.Query(e)}})
	}
	add(2, &p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Arbitration{Arbitration: &p4v1.MasterArbitrationUpdate{DeviceId: deviceID, ElectionId: &p4v1.Uint128{Low: 2}}}})
	add(2, &p4v1.StreamMessageRequest{Update: &p4v1.StreamMessageRequest_Packet{Packet: &p4v1.PacketOut{Payload: []byte{1, 2, 3}}}})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// UNKNOWN only as a batch's status, with a canonical code per
		// update (P4Runtime spec section 12.3 "Error reporting").
		check := func(what string, err error, updates int) {
			if status.Code(err) != codes.Unknown {
				return
			}
			details := status.Convert(err).Details()
			if len(details) == 0 || len(details) != updates {
				t.Fatalf("%s: %v: not a canonical answer (%d details for %d items)", what, err, len(details), updates)
			}
			for i, d := range details {
				pe, ok := d.(*p4v1.Error)
				if !ok || codes.Code(pe.GetCanonicalCode()) == codes.Unknown {
					t.Fatalf("%s: item %d: %v: not a canonical answer", what, i, d)
				}
			}
		}
		switch data[0] % 3 {
		case 0:
			var req p4v1.WriteRequest
			if proto.Unmarshal(data[1:], &req) != nil {
				return
			}
			_, err := cl.Write(ctx, &req)
			check("write", err, len(req.GetUpdates()))
		case 1:
			var req p4v1.ReadRequest
			if proto.Unmarshal(data[1:], &req) != nil {
				return
			}
			s, err := cl.Read(ctx, &req)
			for err == nil {
				_, err = s.Recv()
			}
			if !errors.Is(err, io.EOF) {
				check("read", err, len(req.GetEntities()))
			}
		case 2:
			var msg p4v1.StreamMessageRequest
			if proto.Unmarshal(data[1:], &msg) != nil {
				return
			}
			sctx, scancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer scancel()
			s, err := cl.StreamChannel(sctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(&msg); err == nil {
				// An answer, an error, or nothing in time (the stream
				// ends, OK on the server's side, as the deadline passes).
				_, err = s.Recv()
				if err != nil && !errors.Is(err, io.EOF) && status.Code(err) != codes.DeadlineExceeded && status.Code(err) != codes.Canceled {
					check("stream", err, -1)
				}
			}
		}
		if _, err := cl.Capabilities(ctx, &p4v1.CapabilitiesRequest{}); err != nil {
			t.Fatalf("the server no longer answers: %v", err)
		}
	})
}
