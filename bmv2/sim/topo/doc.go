// Package topo describes and runs a network of simulated switches: a YAML
// topology file (devices with their P4Runtime address, device id, ports,
// CPU port, profile and pipeline to preload; links between device ports;
// ports attached to Linux interfaces) and Start, which brings it up with one
// sim.Device per switch, each serving P4Runtime and gNMI on its own
// address (and bmv2's Thrift API when asked).
//
// The file format:
//
//	profile: bmv2                 # default profile: bmv2 or spec
//	pipeline: ../pipelines/basic  # default pipeline: a folder, a program name, or none
//	devices:
//	  - name: s1
//	    device_id: 1
//	    p4runtime: 127.0.0.1:50001  # gNMI is served on the same address
//	    thrift: 127.0.0.1:9091      # optional: bmv2's Thrift runtime API
//	    cpu_port: 255               # default: the pipeline's cpu_port.txt, else 255
//	    ports:
//	      - {name: eth1, id: 1}
//	      - {name: eth2, id: 2, interface: veth-s1-2}                  # AF_PACKET
//	      - {name: eth3, id: 3, interface: eth0, netns: /var/run/netns/h3}
//	links:
//	  - [s1:eth3, s2:eth3]          # an in-memory wire between two ports
//
// A pipeline folder holds a bmv2 JSON and its P4Info (see
// pipelines.LoadDir); a relative folder is relative to the topology file.
package topo
