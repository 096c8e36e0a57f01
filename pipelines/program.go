package pipelines

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	"google.golang.org/protobuf/encoding/prototext"
)

// CPUPortFile names the optional file in a program's folder that holds the
// data-plane CPU port (as given to simple_switch_grpc --cpu-port).
const CPUPortFile = "cpu_port.txt"

// Program is one P4 program with its compiled artifacts.
type Program struct {
	// Name is the program's folder name, e.g. "lime_l2" or "onos-basic".
	Name string
	// Origin says where the program was loaded from: "embedded:lime_l2" or
	// the folder's path on disk. Meant for messages.
	Origin string
	// Source is the P4_16 source; nil when the folder has none.
	Source []byte
	// JSON is the bmv2 JSON (the device config bmv2 takes in
	// SetForwardingPipelineConfig). Nil when a folder loaded with LoadDir
	// holds only a P4Info; always set for a program returned by Get.
	JSON []byte
	// P4InfoText is the P4Info in protobuf text format: the file itself when
	// it was text, otherwise the decoded P4Info written as text.
	P4InfoText []byte
	// P4Info is P4InfoText decoded and checked as p4/info's New checks it:
	// every object has a non-zero, unique id and a name unique within its
	// kind, and every reference (action refs, implementations, direct
	// resources, type names) resolves.
	P4Info *p4configv1.P4Info
	// CPUPort is the data-plane CPU port from cpu_port.txt; HasCPUPort says
	// whether that file was there.
	CPUPort    uint32
	HasCPUPort bool
}

// LoadDir loads a compiled program from a folder on disk. The folder must hold
// exactly one P4Info (*.p4info.txt or *.p4info.txtpb in text format,
// *.p4info.pb or *.p4info.bin binary, *.p4info.json in protobuf JSON) and at
// most one bmv2 JSON (any other *.json); a *.p4 file whose name matches the
// P4Info's becomes Source, and cpu_port.txt, if present, gives the CPU port.
// The program is named after the folder.
func LoadDir(dir string) (*Program, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: load %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("pipelines: load %s: not a folder", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: load %s: %w", dir, err)
	}
	p, err := loadFolder(os.DirFS(abs), ".", abs)
	if err != nil {
		return nil, err
	}
	p.Name = filepath.Base(abs)
	return p, nil
}

// loadFolder loads the program in folder dir of fsys; where names the folder
// in messages.
func loadFolder(fsys fs.FS, dir, where string) (*Program, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("pipelines: load %s: %w", where, err)
	}
	var infos, jsons, sources []string
	hasCPU := false
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			continue
		}
		switch {
		case p4infoFormatOf(n) != 0:
			infos = append(infos, n)
		case strings.HasSuffix(n, ".json"):
			jsons = append(jsons, n)
		case strings.HasSuffix(n, ".p4"):
			sources = append(sources, n)
		case n == CPUPortFile:
			hasCPU = true
		}
	}
	switch len(infos) {
	case 0:
		return nil, fmt.Errorf("pipelines: load %s: no P4Info (*.p4info.txt, *.p4info.pb, *.p4info.json) in the folder", where)
	case 1:
	default:
		return nil, fmt.Errorf("pipelines: load %s: %d P4Info files (%s), want one", where, len(infos), strings.Join(infos, ", "))
	}
	if len(jsons) > 1 {
		return nil, fmt.Errorf("pipelines: load %s: %d bmv2 JSON files (%s), want at most one", where, len(jsons), strings.Join(jsons, ", "))
	}
	p := &Program{Origin: where}
	if p.P4InfoText, p.P4Info, err = readP4Info(fsys, path.Join(dir, infos[0]), where); err != nil {
		return nil, err
	}
	if len(jsons) == 1 {
		if p.JSON, err = readBmv2JSON(fsys, path.Join(dir, jsons[0]), where); err != nil {
			return nil, err
		}
	}
	stem := infos[0][:strings.Index(infos[0], ".p4info.")]
	for _, s := range sources {
		if s == stem+".p4" {
			if p.Source, err = fs.ReadFile(fsys, path.Join(dir, s)); err != nil {
				return nil, fmt.Errorf("pipelines: load %s: %w", where, err)
			}
		}
	}
	if hasCPU {
		if p.CPUPort, err = readCPUPort(fsys, path.Join(dir, CPUPortFile), where); err != nil {
			return nil, err
		}
		p.HasCPUPort = true
	}
	return p, nil
}

// readP4Info reads, decodes and checks a P4Info file.
func readP4Info(fsys fs.FS, name, where string) ([]byte, *p4configv1.P4Info, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, nil, fmt.Errorf("pipelines: load %s: %w", where, err)
	}
	f := p4infoFormatOf(path.Base(name))
	info, err := parseP4Info(b, f)
	if err != nil {
		return nil, nil, fmt.Errorf("pipelines: %s: %w", path.Join(where, path.Base(name)), err)
	}
	if f == formatText {
		return b, info, nil
	}
	text, err := prototext.MarshalOptions{Multiline: true}.Marshal(info)
	if err != nil {
		return nil, nil, fmt.Errorf("pipelines: %s: write as text: %w", path.Join(where, path.Base(name)), err)
	}
	return text, info, nil
}

// readBmv2JSON reads a bmv2 JSON and checks that it is one JSON object, as
// p4c's bmv2 backend writes it.
func readBmv2JSON(fsys fs.FS, name, where string) ([]byte, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("pipelines: load %s: %w", where, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("pipelines: %s: not a bmv2 JSON object: %w", path.Join(where, path.Base(name)), err)
	}
	return b, nil
}

// readCPUPort reads cpu_port.txt: one decimal port number.
func readCPUPort(fsys fs.FS, name, where string) (uint32, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, fmt.Errorf("pipelines: load %s: %w", where, err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("pipelines: %s: want one decimal port number: %w", path.Join(where, CPUPortFile), err)
	}
	return uint32(v), nil
}
