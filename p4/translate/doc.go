// Package translate rewrites P4Runtime entities from one P4Info to another
// and from one set of port numbers to another.
//
// Two compilations of one program may number their objects differently
// (p4c's ids are hashes of names, and another compiler version or target
// may hash differently), so ids are translated by name. New refuses, before
// anything is translated, when the two P4Infos are not the same program: an
// object or field missing on either side, a width, match kind, unit or
// type changed; the error lists every difference by name.
//
// Port translation is a PortMap applied to every value that carries a port
// (info.Value.IsPort): exact and optional match values, ternary, LPM and
// range matches, action parameters, action-profile watch ports, PRE
// replicas, controller packet metadata, digest members, and indices of
// counter, meter and register arrays indexed by port. A port value the map
// does not cover is an error naming where it was found. A ternary, LPM or
// range match that covers several values is translated when the map
// carries it exactly — every mapped port covered if and only if its image
// is — keeping its mask, prefix length or width, so that the reverse map
// gives it back (portmatch.go); otherwise it is refused (ErrPortMatch).
package translate
