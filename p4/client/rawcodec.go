package client

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// rawMessage receives a response undecoded (see rawCodec).
type rawMessage []byte

// rawCodec is gRPC's proto codec, except that it leaves a response received
// into a *rawMessage in its wire form, for ReadRaw to pick apart.
type rawCodec struct{}

var protoCodec = encoding.GetCodecV2("proto")

// Name keeps the content subtype every P4Runtime server expects.
func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawMessage); ok {
		*r = data.Materialize()
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}

// readResponseEntities is the field number of ReadResponse.entities.
var readResponseEntities = (&p4v1.ReadResponse{}).ProtoReflect().Descriptor().Fields().ByName("entities").Number()
