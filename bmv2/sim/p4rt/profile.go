package p4rt

import "fmt"

// Profile selects how a Device answers where bmv2 and the P4Runtime
// specification part ways (see the package documentation).
type Profile uint8

const (
	// ProfileBMv2 answers as simple_switch_grpc (PI) does. It is the default.
	ProfileBMv2 Profile = iota
	// ProfileSpec implements the specification's optional features.
	ProfileSpec
)

// String returns "bmv2" or "spec".
func (p Profile) String() string {
	switch p {
	case ProfileBMv2:
		return "bmv2"
	case ProfileSpec:
		return "spec"
	}
	return fmt.Sprintf("profile(%d)", uint8(p))
}

// ParseProfile accepts "bmv2" or "spec".
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "bmv2", "":
		return ProfileBMv2, nil
	case "spec":
		return ProfileSpec, nil
	}
	return 0, fmt.Errorf("profile %q: want bmv2 or spec", s)
}

// APIVersion is the P4Runtime version the profile reports in Capabilities:
// 1.3.0 for bmv2 (what PI reports), 1.5.0 for spec (the version of the
// p4runtime module this package is built on).
func (p Profile) APIVersion() string {
	if p == ProfileSpec {
		return "1.5.0"
	}
	return "1.3.0"
}
