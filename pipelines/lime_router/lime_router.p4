/*
 * lime_router: IPv4 forwarding across a network of switches, with a
 * stateful firewall at the edge of guarded hosts. lime's network-migration
 * scenario (make demo, test/) runs it on every switch: a route per host
 * (to the host's own port, or to a link towards the switch it hangs on),
 * and a firewall whose register values decide what passes.
 *
 * The firewall is enforced at the edge, where a guarded host is attached:
 * a TCP or UDP packet that enters from a guarded port (guard_in) and
 * leaves towards any other opens its flow (two bits of a bloom filter, the
 * registers flows_1 and flows_2); a packet that leaves towards a guarded
 * port (guard_out) and did not enter from one passes only if its flow is
 * open. Both tables match on the switch's own ports, so a packet is checked
 * once, on the switch its guarded host hangs on: on the way there through
 * other switches (links, or the trunk of a migration) no guard matches.
 *
 * Compiled with the shared compiler (see README.md); artifacts committed
 * beside this file.
 */
#include <core.p4>
#include <v1model.p4>

typedef bit<9> port_t;

const bit<16> TYPE_IPV4 = 0x0800;
const bit<8> PROTO_TCP = 6;
const bit<8> PROTO_UDP = 17;
const bit<32> FLOW_CELLS = 4096;

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> total_len;
    bit<16> identification;
    bit<3>  flags;
    bit<13> frag_offset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdr_checksum;
    bit<32> src_addr;
    bit<32> dst_addr;
}

/* The first four bytes of TCP and UDP alike: their ports. */
header l4_t {
    bit<16> src_port;
    bit<16> dst_port;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    l4_t       l4;
}

struct metadata_t {
    bit<1>  from_guarded;
    bit<1>  to_guarded;
    bit<12> cell_1;
    bit<12> cell_2;
}

parser LimeParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            TYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.protocol) {
            PROTO_TCP: parse_l4;
            PROTO_UDP: parse_l4;
            default: accept;
        }
    }
    state parse_l4 {
        packet.extract(hdr.l4);
        transition accept;
    }
}

control LimeVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control ingress(inout headers_t hdr, inout metadata_t meta,
                    inout standard_metadata_t standard_metadata) {
    direct_counter(CounterType.packets_and_bytes) route_hits;
    register<bit<1>>(FLOW_CELLS) flows_1;
    register<bit<1>>(FLOW_CELLS) flows_2;

    action drop() {
        mark_to_drop(standard_metadata);
    }

    /* Send to port, the next hop (or the host) being dmac. */
    action forward(bit<48> dmac, port_t port) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.dst_addr = dmac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        route_hits.count();
    }

    action unroutable() {
        mark_to_drop(standard_metadata);
        route_hits.count();
    }

    table routes {
        key = {
            hdr.ipv4.dst_addr: lpm @name("dst_addr");
        }
        actions = {
            forward;
            unroutable;
        }
        counters = route_hits;
        default_action = unroutable();
        size = 4096;
    }

    action guarded_in() {
        meta.from_guarded = 1;
    }

    action guarded_out() {
        meta.to_guarded = 1;
    }

    /* The ports guarded hosts hang on, seen as the packet's way in. */
    table guard_in {
        key = {
            standard_metadata.ingress_port: exact;
        }
        actions = {
            guarded_in;
            NoAction;
        }
        default_action = NoAction();
        size = 512;
    }

    /* The same ports, seen as the packet's way out. */
    table guard_out {
        key = {
            standard_metadata.egress_spec: exact;
        }
        actions = {
            guarded_out;
            NoAction;
        }
        default_action = NoAction();
        size = 512;
    }

    apply {
        if (!hdr.ipv4.isValid() || hdr.ipv4.ttl <= 1) {
            drop();
            return;
        }
        if (!routes.apply().hit) {
            return;
        }
        if (!hdr.l4.isValid()) {
            return;
        }
        guard_in.apply();
        guard_out.apply();
        if (meta.from_guarded == 1 && meta.to_guarded == 0) {
            /* A guarded host opens a flow: (its address and port, the peer's). */
            hash(meta.cell_1, HashAlgorithm.crc16, (bit<12>)0,
                 { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.l4.src_port, hdr.l4.dst_port, hdr.ipv4.protocol },
                 (bit<13>)4096);
            hash(meta.cell_2, HashAlgorithm.crc32, (bit<12>)0,
                 { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.l4.src_port, hdr.l4.dst_port, hdr.ipv4.protocol },
                 (bit<13>)4096);
            flows_1.write((bit<32>)meta.cell_1, 1);
            flows_2.write((bit<32>)meta.cell_2, 1);
        } else if (meta.to_guarded == 1 && meta.from_guarded == 0) {
            /* Towards a guarded host: only on a flow it opened. */
            hash(meta.cell_1, HashAlgorithm.crc16, (bit<12>)0,
                 { hdr.ipv4.dst_addr, hdr.ipv4.src_addr, hdr.l4.dst_port, hdr.l4.src_port, hdr.ipv4.protocol },
                 (bit<13>)4096);
            hash(meta.cell_2, HashAlgorithm.crc32, (bit<12>)0,
                 { hdr.ipv4.dst_addr, hdr.ipv4.src_addr, hdr.l4.dst_port, hdr.l4.src_port, hdr.ipv4.protocol },
                 (bit<13>)4096);
            bit<1> open_1;
            bit<1> open_2;
            flows_1.read(open_1, (bit<32>)meta.cell_1);
            flows_2.read(open_2, (bit<32>)meta.cell_2);
            if (open_1 != 1 || open_2 != 1) {
                drop();
            }
        }
    }
}

control egress(inout headers_t hdr, inout metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    apply { }
}

control LimeComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply {
        update_checksum(
            hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset,
              hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum,
            HashAlgorithm.csum16);
    }
}

control LimeDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.l4);
    }
}

V1Switch(LimeParser(), LimeVerifyChecksum(), ingress(), egress(), LimeComputeChecksum(), LimeDeparser()) main;
