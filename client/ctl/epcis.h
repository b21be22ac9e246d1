// File: client/ctl/epcis.h
//
// A unit's history as an EPCIS 2.0 JSON-LD document (GS1 EPCIS 2.0 / CBV 2.0), so a brand can
// hand it to a traceability partner or a regulator. Every event becomes an ObjectEvent about
// the unit, identified by its canonical GS1 Digital Link URI (https://id.gs1.org/01/.../21/...),
// with eventTime and recordTime in UTC and the CBV bizStep and disposition:
//
//   history action   action    bizStep          disposition
//   commissioned     ADD       commissioning    active
//   shipped          OBSERVE   shipping         in_transit
//   received         OBSERVE   receiving        active (retail_sold when back with its owner)
//   sold             OBSERVE   retail_selling   retail_sold
//   returned         OBSERVE   receiving        returned
//   repaired         OBSERVE   repairing        in_progress
//   refurbished      OBSERVE   repairing        active
//   decommissioned   DELETE    decommissioning  destroyed | expired | inactive (sample, exported)
//   reactivated      OBSERVE   other            per the status it returns to
//   recalled         OBSERVE   other            recalled
//   report_stolen    OBSERVE   other            stolen
//   clear_stolen     OBSERVE   other            per the unit's status
//
// What CBV has no field for (principal, organisation, reference, location, flags, detail)
// travels in the "hallmark:" extension namespace declared in @context. A location that is a
// GLN (13 digits) also becomes the readPoint (https://id.gs1.org/414/<gln>).
#ifndef HALLMARK_CLIENT_CTL_EPCIS_H_
#define HALLMARK_CLIENT_CTL_EPCIS_H_

#include <string>

#include "absl/time/time.h"
#include "hallmark/v1/lifecycle.pb.h"

namespace hallmark::ctl {

// The document, pretty enough to read (one event per line); `created` is its creationDate.
std::string EpcisDocument(const v1::UnitHistory& history, absl::Time created);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_EPCIS_H_
