/*
 * counter_units.p4: one counter of each unit, indirect and direct, for the
 * tests that hold the simulator to what bmv2 answers for counters whose
 * unit is PACKETS or BYTES (issue 15). Every packet counts in the indirect
 * counters at its ingress port and hits both tables (exact on the ingress
 * port) when the controller has an entry for it, then leaves by port 2.
 *
 * Compile (from this folder):
 *   ../../../../shared/tools/p4c/bin/p4c-bm2-ss --arch v1model --p4runtime-files counter_units.p4info.txt -o counter_units.json counter_units.p4
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

struct headers_t {
    ethernet_t ethernet;
}

struct metadata_t { }

parser CuParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition accept;
    }
}

control CuVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    counter(512, CounterType.packets) port_packets;
    counter(512, CounterType.bytes) port_bytes;
    direct_counter(CounterType.packets) hit_packets;
    direct_counter(CounterType.bytes) hit_bytes;

    action count_packets() { }
    action count_bytes() { }

    table by_packets {
        key = { standard_metadata.ingress_port: exact @name("port"); }
        actions = { count_packets; NoAction; }
        default_action = NoAction();
        counters = hit_packets;
        size = 512;
    }
    table by_bytes {
        key = { standard_metadata.ingress_port: exact @name("port"); }
        actions = { count_bytes; NoAction; }
        default_action = NoAction();
        counters = hit_bytes;
        size = 512;
    }

    apply {
        port_packets.count((bit<32>)standard_metadata.ingress_port);
        port_bytes.count((bit<32>)standard_metadata.ingress_port);
        by_packets.apply();
        by_bytes.apply();
        standard_metadata.egress_spec = 2;
    }
}

control egress(inout headers_t hdr, inout metadata_t meta,
               inout standard_metadata_t standard_metadata) {
    apply { }
}

control CuComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control CuDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
    }
}

V1Switch(CuParser(), CuVerifyChecksum(), ingress(), egress(), CuComputeChecksum(), CuDeparser()) main;
