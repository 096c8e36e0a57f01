package gnmi

import (
	"context"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// Models are the schema modules the agent serves (gNMI spec 3.2), with the
// versions whose leaves it implements.
var Models = []*gpb.ModelData{
	{Name: moduleInterfaces, Organization: "OpenConfig working group", Version: "2.4.1"},
	{Name: moduleP4RT, Organization: "OpenConfig working group", Version: "0.1.0"},
}

// Encodings are the encodings Get accepts; Subscribe answers PROTO scalars
// whichever of these is asked (as Stratum).
var Encodings = []gpb.Encoding{gpb.Encoding_JSON, gpb.Encoding_JSON_IETF, gpb.Encoding_PROTO}

// Version is the gNMI service version of the generated protos the agent
// is built with.
var Version = proto.GetExtension(gpb.File_github_com_openconfig_gnmi_proto_gnmi_gnmi_proto.Options(), gpb.E_GnmiService).(string)

// Capabilities lists the models, encodings and gNMI version (gNMI spec
// 3.2.2).
func (s *Server) Capabilities(ctx context.Context, req *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	return s.capabilities(), nil
}

func (s *Server) capabilities() *gpb.CapabilityResponse {
	r := &gpb.CapabilityResponse{SupportedEncodings: append([]gpb.Encoding{}, Encodings...), GNMIVersion: Version}
	for _, m := range Models {
		r.SupportedModels = append(r.SupportedModels, proto.Clone(m).(*gpb.ModelData))
	}
	return r
}

func encodingSupported(e gpb.Encoding) bool {
	for _, x := range Encodings {
		if x == e {
			return true
		}
	}
	return false
}
