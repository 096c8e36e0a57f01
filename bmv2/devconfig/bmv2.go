package devconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// bmv2MajorVersion is the bmv2 JSON format major version simple_switch
// accepts (__meta__.version[0]).
const bmv2MajorVersion = 2

// BMv2 returns the device config for bmv2: the bmv2 JSON itself (a copy of
// program). It checks that program is a JSON object with a "pipelines" array
// and, when "__meta__" gives a version, that its major version is 2, so that
// a P4Info or another file passed by mistake is refused before it reaches a
// switch.
func BMv2(program []byte) ([]byte, error) {
	if len(bytes.TrimSpace(program)) == 0 {
		return nil, errors.New("devconfig: bmv2 JSON is empty")
	}
	if !json.Valid(program) {
		// Unmarshal again for the position of the syntax error.
		var v any
		err := json.Unmarshal(program, &v)
		return nil, fmt.Errorf("devconfig: bmv2 JSON is not valid JSON: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(program, &doc); err != nil {
		return nil, fmt.Errorf("devconfig: bmv2 JSON is not a JSON object: %w", err)
	}
	var pipelines []json.RawMessage
	raw, ok := doc["pipelines"]
	if !ok {
		return nil, errors.New(`devconfig: bmv2 JSON has no "pipelines" (is this a bmv2 JSON from p4c?)`)
	}
	if err := json.Unmarshal(raw, &pipelines); err != nil {
		return nil, fmt.Errorf(`devconfig: bmv2 JSON "pipelines" is not an array: %w`, err)
	}
	if raw, ok := doc["__meta__"]; ok {
		var meta struct {
			Version []int `json:"version"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf(`devconfig: bmv2 JSON "__meta__": %w`, err)
		}
		if len(meta.Version) > 0 && meta.Version[0] != bmv2MajorVersion {
			return nil, fmt.Errorf("devconfig: bmv2 JSON format version %v, bmv2 reads major version %d", meta.Version, bmv2MajorVersion)
		}
	}
	return slices.Clone(program), nil
}

// BMv2File reads a bmv2 JSON file and returns its device config ([BMv2]).
func BMv2File(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("devconfig: %w", err)
	}
	cfg, err := BMv2(b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return cfg, nil
}
