package proxy

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A plain pass-through Write (no migration, no translation: what a proxy
// does most of its life) is relayed without decoding its updates (issue
// 14: "profile the pass-through path and take out what costs without
// need"): the request's top-level fields are read (device id, election
// id, role, for arbitration), the updates are copied as their wire bytes
// behind the backend's own device id, election id and role, and the
// switch's answer comes back as it gave it, as Device.Write would.
// Anything else (a mirror, a translation, counter offsets, shadowed
// entries, an interceptor on the server) takes the decoded path.

// rawMessage is a protobuf message kept as its wire bytes: protobuf-go
// keeps the fields a legacy message does not declare in its
// XXX_unrecognized, so decoding one copies the bytes and encoding it
// writes them back, whatever the codec (gRPC's default one takes it).
type rawMessage struct {
	XXX_unrecognized []byte
}

func (m *rawMessage) Reset()         { *m = rawMessage{} }
func (m *rawMessage) String() string { return fmt.Sprintf("%d bytes", len(m.XXX_unrecognized)) }
func (*rawMessage) ProtoMessage()    {}

// rawWrite is a WriteRequest's top-level fields, read from its wire bytes.
type rawWrite struct {
	b        []byte
	deviceID uint64
	election *p4v1.Uint128
	role     string
	updates  int
}

// WriteRequest field numbers (p4runtime.proto).
const (
	writeDeviceID   = 1
	writeRoleID     = 2 // deprecated
	writeElectionID = 3
	writeUpdates    = 4
	writeAtomicity  = 5
	writeRole       = 6
)

// parseRawWrite reads the top-level fields of a WriteRequest; ok is false
// when b is not one a decode would take as it is (the decoded path then
// answers as it would).
func parseRawWrite(b []byte) (w rawWrite, ok bool) {
	w.b = b
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return w, false
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return w, false
		}
		v := rest[n : n+m]
		switch num {
		case writeDeviceID:
			x, k := protowire.ConsumeVarint(v)
			if typ != protowire.VarintType || k < 0 {
				return w, false
			}
			w.deviceID = x
		case writeElectionID:
			e, k := protowire.ConsumeBytes(v)
			if typ != protowire.BytesType || k < 0 {
				return w, false
			}
			var u p4v1.Uint128
			if proto.Unmarshal(e, &u) != nil {
				return w, false
			}
			if w.election == nil {
				w.election = &u
			} else {
				proto.Merge(w.election, &u) // a message field given twice merges
			}
		case writeUpdates:
			w.updates++
		case writeRole:
			s, k := protowire.ConsumeBytes(v)
			if typ != protowire.BytesType || k < 0 || !utf8.Valid(s) {
				return w, false
			}
			w.role = string(s)
		}
		rest = rest[n+m:]
	}
	return w, true
}

// to is the request as a backend is sent it: its device id, election id
// and role first, then every other field of w as it came (the updates,
// the atomicity, fields this proxy does not know).
func (w rawWrite) to(deviceID uint64, election *p4v1.Uint128, r string) []byte {
	out := writeHeader(make([]byte, 0, len(w.b)+32), deviceID, election, r)
	for rest := w.b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		switch num {
		case writeDeviceID, writeRoleID, writeElectionID, writeRole:
		default:
			out = append(out, rest[:n+m]...)
		}
		rest = rest[n+m:]
	}
	return out
}

// writeHeader appends to out the device id, election id and role of a
// WriteRequest, as its wire bytes.
func writeHeader(out []byte, deviceID uint64, election *p4v1.Uint128, r string) []byte {
	out = protowire.AppendTag(out, writeDeviceID, protowire.VarintType)
	out = protowire.AppendVarint(out, deviceID)
	if election != nil {
		e, _ := proto.Marshal(election)
		out = protowire.AppendTag(out, writeElectionID, protowire.BytesType)
		out = protowire.AppendBytes(out, e)
	}
	if r != "" {
		out = protowire.AppendTag(out, writeRole, protowire.BytesType)
		out = protowire.AppendString(out, r)
	}
	return out
}

// rawUpdates gives the wire bytes of each update of the WriteRequest b
// (each with its tag), in order; nil unless there are n.
func rawUpdates(b []byte, n int) [][]byte {
	out := make([][]byte, 0, n)
	for rest := b; len(rest) > 0; {
		num, typ, k := protowire.ConsumeTag(rest)
		if k < 0 {
			return nil
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[k:])
		if m < 0 {
			return nil
		}
		if num == writeUpdates {
			out = append(out, rest[:k+m])
		}
		rest = rest[k+m:]
	}
	if len(out) != n {
		return nil
	}
	return out
}

// writeWire writes phys (ups as the backend takes them) as Backend.write
// does, except that an update its translation left as it came (the same
// message) is sent as the controller's wire bytes (wire, from rawUpdates)
// rather than encoded again: most of them, as a migration goes.
func (b *Backend) writeWire(ctx context.Context, ups, phys []*p4v1.Update, wire [][]byte, atomicity p4v1.WriteRequest_Atomicity) error {
	out, ok := wireRequest(b.header(), ups, phys, wire, atomicity)
	if !ok {
		return b.write(ctx, phys, atomicity)
	}
	return b.writeRequest(ctx, out)
}

// header is the start of a WriteRequest to b as wire bytes: the
// backend's device id, election id and role (writeHeader).
func (b *Backend) header() []byte {
	return writeHeader(nil, b.client.DeviceID(), b.election, b.client.Role())
}

// writeRequest sends req, a whole WriteRequest as wire bytes, and returns
// the device's answer as it gave it.
func (b *Backend) writeRequest(ctx context.Context, req []byte) error {
	return b.client.Conn().Invoke(ctx, p4v1.P4Runtime_Write_FullMethodName, &rawMessage{XXX_unrecognized: req}, &p4v1.WriteResponse{})
}

// wireRequest appends to header (writeHeader's) the updates phys and the
// atomicity of a WriteRequest, as wire bytes: an update that is ups' own
// (left as it came) as its bytes in wire, any other encoded; ok false
// when wire does not hold one for each, or one does not encode.
func wireRequest(header []byte, ups, phys []*p4v1.Update, wire [][]byte, atomicity p4v1.WriteRequest_Atomicity) (out []byte, ok bool) {
	if len(wire) != len(ups) || len(phys) != len(ups) {
		return nil, false
	}
	out = header
	for i, p := range phys {
		if p == ups[i] {
			out = append(out, wire[i]...)
			continue
		}
		m, err := proto.Marshal(p)
		if err != nil {
			return nil, false
		}
		out = protowire.AppendTag(out, writeUpdates, protowire.BytesType)
		out = protowire.AppendBytes(out, m)
	}
	if atomicity != 0 {
		out = protowire.AppendTag(out, writeAtomicity, protowire.VarintType)
		out = protowire.AppendVarint(out, uint64(atomicity))
	}
	return out, true
}

// plain reports whether the device passes writes through as they are: no
// mirror, no translation, nothing kept beside the switch's own state.
// d.mu is held.
func (d *Device) plain() bool {
	return d.mirror == nil && d.mode == MirrorOff && d.ports == nil && d.moves.outs == nil && len(d.shadow) == 0 &&
		len(d.offsets) == 0 && len(d.seenMirror) == 0 && d.auth.phys() == nil
}

// writeRaw relays w to the authoritative device when the device passes
// writes through as they are; done is false (and nothing was done) when
// it does not: the caller decodes the request and calls Write.
func (d *Device) writeRaw(ctx context.Context, w rawWrite) (done bool, err error) {
	d.mu.RLock()
	plain := d.plain()
	d.mu.RUnlock()
	if !plain {
		return false, nil
	}
	start := time.Now()
	if err := d.arb.CheckWriter(w.deviceID, w.role, w.election); err != nil {
		return true, err
	}
	if err := d.checkHeld(); err != nil {
		return true, err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.RLock()
	plain, auth := d.plain(), d.auth
	d.mu.RUnlock()
	if !plain { // a migration began meanwhile
		return false, nil
	}
	defer func() { d.latency.observe(time.Since(start)) }()
	d.stats.writes.Add(1)
	d.stats.relayed.Add(1)
	d.stats.updates.Add(int64(w.updates))
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WriteTimeout)
	defer cancel()
	return true, auth.writeRequest(wctx, w.to(auth.client.DeviceID(), auth.election, auth.client.Role()))
}

// WriteRaw answers a Write given as its wire bytes: relayed as they are
// by a device that passes writes through (Device.writeRaw), else decoded
// and written as Write does.
func (p *Proxy) WriteRaw(ctx context.Context, b []byte) error {
	if w, ok := parseRawWrite(b); ok {
		d, err := p.lookup(w.deviceID)
		if err != nil {
			return err
		}
		if done, err := d.writeRaw(ctx, w); done {
			return err
		}
	}
	var req p4v1.WriteRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		// What gRPC answers a request its codec cannot decode.
		return status.Errorf(codes.Internal, "grpc: error unmarshalling request: %v", err)
	}
	d, err := p.lookup(req.GetDeviceId())
	if err != nil {
		return err
	}
	return d.write(ctx, &req, b)
}

// writeHandler is the Write method's handler: the request is taken as its
// wire bytes (Proxy.WriteRaw); with an interceptor, decoded, as the
// generated handler does, so that the interceptor sees a WriteRequest.
func writeHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	s := srv.(*Server)
	if interceptor != nil {
		in := new(p4v1.WriteRequest)
		if err := dec(in); err != nil {
			return nil, err
		}
		info := &grpc.UnaryServerInfo{Server: srv, FullMethod: p4v1.P4Runtime_Write_FullMethodName}
		return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
			return s.Write(ctx, req.(*p4v1.WriteRequest))
		})
	}
	in := new(rawMessage)
	if err := dec(in); err != nil {
		return nil, err
	}
	return s.writeRaw(ctx, in)
}

// serviceDesc is P4Runtime's service with Write taken as wire bytes.
func serviceDesc() *grpc.ServiceDesc {
	desc := p4v1.P4Runtime_ServiceDesc
	desc.Methods = append([]grpc.MethodDesc(nil), desc.Methods...)
	for i := range desc.Methods {
		if desc.Methods[i].MethodName == "Write" {
			desc.Methods[i].Handler = writeHandler
		}
	}
	return &desc
}
