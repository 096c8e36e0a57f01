package difftest

import (
	"fmt"
	"slices"
	"strings"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// Op is what a step does.
type Op uint8

const (
	// OpArbitrate sends a MasterArbitrationUpdate on stream Stream (opening
	// it first when it is not open).
	OpArbitrate Op = iota
	// OpLeave closes stream Stream (the controller goes away).
	OpLeave
	// OpPipeline sends a SetForwardingPipelineConfig.
	OpPipeline
	// OpWrite sends a Write.
	OpWrite
	// OpRead sends a Read.
	OpRead
)

func (o Op) String() string {
	switch o {
	case OpArbitrate:
		return "arbitrate"
	case OpLeave:
		return "leave"
	case OpPipeline:
		return "pipeline"
	case OpWrite:
		return "write"
	case OpRead:
		return "read"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Streams is how many controller streams a session uses.
const Streams = 3

// Step is one request of a session.
type Step struct {
	Op     Op
	Stream int // OpArbitrate, OpLeave
	Arb    *p4v1.MasterArbitrationUpdate
	Pipe   *p4v1.SetForwardingPipelineConfigRequest
	Write  *p4v1.WriteRequest
	Read   *p4v1.ReadRequest
}

// String renders the step as a reproduction shows it: the request in
// protobuf text format, the device config of a pipeline left out.
func (s Step) String() string {
	opts := prototext.MarshalOptions{}
	switch s.Op {
	case OpArbitrate:
		return fmt.Sprintf("arbitrate on stream %d: %s", s.Stream, opts.Format(s.Arb))
	case OpLeave:
		return fmt.Sprintf("stream %d closes", s.Stream)
	case OpPipeline:
		p := proto.Clone(s.Pipe).(*p4v1.SetForwardingPipelineConfigRequest)
		var note string
		if c := p.GetConfig(); c != nil {
			note = fmt.Sprintf(" (p4info of %d tables, device config of %d bytes)", len(c.GetP4Info().GetTables()), len(c.GetP4DeviceConfig()))
			c.P4Info, c.P4DeviceConfig = nil, nil
		}
		return fmt.Sprintf("pipeline: %s%s", opts.Format(p), note)
	case OpWrite:
		return "write: " + opts.Format(s.Write)
	case OpRead:
		return "read: " + opts.Format(s.Read)
	}
	return s.Op.String()
}

// StreamMsg is one message a stream received, or its end.
type StreamMsg struct {
	Stream int
	// Code is the arbitration status (OK: primary, ALREADY_EXISTS: backup)
	// or, when End, the code the stream ended with.
	Code       codes.Code
	End        bool
	ElectionID string
}

func (m StreamMsg) String() string {
	if m.End {
		return fmt.Sprintf("stream %d ends %v", m.Stream, m.Code)
	}
	return fmt.Sprintf("stream %d: arbitration %v, election id %s", m.Stream, m.Code, m.ElectionID)
}

// Answer is what a switch answered to one step.
type Answer struct {
	Code codes.Code
	// Msg is the status message, shown and not compared.
	Msg string
	// Updates are the canonical codes of the updates of a Write that
	// failed with per-update details (nil otherwise).
	Updates []codes.Code
	// UpdateMsgs are their messages, shown and not compared.
	UpdateMsgs []string
	// Entities are what a Read returned, normalised and sorted.
	Entities []string
	// Stream are the stream messages an arbitration or a leave caused,
	// sorted.
	Stream []StreamMsg
}

// Equal reports whether two answers agree on everything compared.
func (a Answer) Equal(b Answer) bool {
	return a.Code == b.Code && slices.Equal(a.Updates, b.Updates) && slices.Equal(a.Entities, b.Entities) &&
		slices.Equal(a.Stream, b.Stream)
}

// String renders the answer for a report.
func (a Answer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", a.Code)
	if a.Msg != "" {
		fmt.Fprintf(&b, " %q", a.Msg)
	}
	for i, c := range a.Updates {
		fmt.Fprintf(&b, "\n    update %d: %v", i, c)
		if i < len(a.UpdateMsgs) && a.UpdateMsgs[i] != "" {
			fmt.Fprintf(&b, " %q", a.UpdateMsgs[i])
		}
	}
	if len(a.Entities) > 0 {
		fmt.Fprintf(&b, "\n    %d entities:", len(a.Entities))
		for _, e := range a.Entities {
			fmt.Fprintf(&b, "\n      %s", e)
		}
	}
	for _, m := range a.Stream {
		fmt.Fprintf(&b, "\n    %s", m)
	}
	return b.String()
}
