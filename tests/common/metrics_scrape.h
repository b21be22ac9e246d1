// File: tests/common/metrics_scrape.h
//
// GET /metrics from a hallmark-server's Prometheus endpoint on 127.0.0.1:port; the whole HTTP
// response ("" when nothing answers). For assertions only.
#ifndef HALLMARK_TESTS_COMMON_METRICS_SCRAPE_H_
#define HALLMARK_TESTS_COMMON_METRICS_SCRAPE_H_

#include <string>

namespace hallmark::testing {

std::string ScrapeMetrics(int port);

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_METRICS_SCRAPE_H_
