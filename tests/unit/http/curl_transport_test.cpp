// CurlTransport against a real HTTP server on loopback (test_server.hpp).
#include "http/curl_transport.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_server.hpp"

namespace gb::http {
namespace {

using testing::pattern_bytes;
using testing::TestServer;

Request get(const std::string& url) {
  Request r;
  r.url = url;
  return r;
}

class CurlTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<TestServer> server_ = TestServer::start();
  std::string url(const std::string& path) const { return server_->base_url() + path; }
};

TEST_F(CurlTransportTest, OkWithHeadersAndCorrelationId) {
  CurlTransport t;
  auto r = t.send(get(url("/ok")));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->body_bytes, 5u);
  EXPECT_EQ(r->correlation_id, "corr-123");
  EXPECT_EQ(r->header("inin-ratelimit-allowed"), "300");
}

TEST_F(CurlTransportTest, AnyStatusIsAResponseWithItsBody) {
  CurlTransport t;
  auto r = t.send(get(url("/status?code=404")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("test.code"), std::string::npos);
  EXPECT_EQ(r->correlation_id, "corr-err");
  auto s = t.send(get(url("/status?code=429&retry=3")));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, 429);
  EXPECT_EQ(s->header("Retry-After"), "3");
}

TEST_F(CurlTransportTest, MethodsBodiesAndHeadersAreSent) {
  CurlTransport t;
  Request post = get(url("/echo"));
  post.method = "POST";
  post.body = R"({"interval":"a/b"})";
  post.headers = {{"X-Test", "v1"}, {"Content-Type", "application/json"}};
  auto r = t.send(post);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, R"(POST v1 {"interval":"a/b"})");

  Request del = get(url("/echo"));
  del.method = "DELETE";
  auto d = t.send(del);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->body, "DELETE - ");

  // A big POST body arrives whole (no Expect: 100-continue stall either).
  Request big = get(url("/echo"));
  big.method = "POST";
  big.body = pattern_bytes(300'000);
  auto b = t.send(big);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->body, "POST - " + big.body);
}

TEST_F(CurlTransportTest, HeaderInjectionIsRefused) {
  CurlTransport t;
  Request r = get(url("/echo"));
  r.headers = {{"X-Test", "v\r\nX-Evil: 1"}};
  auto out = t.send(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kInvalidInput);
}

TEST_F(CurlTransportTest, StreamsA2xxBodyToTheSink) {
  CurlTransport t;
  std::string got;
  int calls = 0;
  const BodySink sink = [&](std::string_view bytes) {
    got.append(bytes);
    ++calls;
    return ok_status();
  };
  auto r = t.send(get(url("/bytes?n=3000000")), &sink);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->body_bytes, 3'000'000u);
  EXPECT_EQ(got, pattern_bytes(3'000'000));
  EXPECT_GT(calls, 1);  // it arrived in pieces, not as one buffer
}

TEST_F(CurlTransportTest, Non2xxBodyIsKeptNotStreamed) {
  CurlTransport t;
  bool called = false;
  const BodySink sink = [&](std::string_view) {
    called = true;
    return ok_status();
  };
  auto r = t.send(get(url("/status?code=503")), &sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(called);
  EXPECT_NE(r->body.find("went wrong"), std::string::npos);
}

TEST_F(CurlTransportTest, SinkErrorIsTheCallsError) {
  CurlTransport t;
  const BodySink permanent = [](std::string_view) -> Status { return permanent_error("record 7 is not JSON"); };
  auto r = t.send(get(url("/bytes?n=100000")), &permanent);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(r.error().message, "record 7 is not JSON");
  EXPECT_EQ(r.error().http_status, 200);
  // Its kind is kept: a receiver's transient failure stays retryable.
  const BodySink transient = [](std::string_view) -> Status { return transient_error("spill disk busy"); };
  auto again = t.send(get(url("/bytes?n=100000")), &transient);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kTransient);
}

TEST_F(CurlTransportTest, SinkThatThrowsBecomesAnInternalError) {
  CurlTransport t;
  const BodySink sink = [](std::string_view) -> Status { throw std::bad_alloc(); };
  auto r = t.send(get(url("/bytes?n=100000")), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
  EXPECT_NE(r.error().message.find("the body receiver failed"), std::string::npos) << r.error().message;
  // The connection pool is fine afterwards.
  EXPECT_TRUE(t.send(get(url("/ok"))).ok());
}

TEST_F(CurlTransportTest, GzipIsDecoded) {
  CurlTransport t;
  auto r = t.send(get(url("/gzip?n=500000")));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->header("Content-Encoding"), "gzip");
  EXPECT_EQ(r->body, pattern_bytes(500'000));
  EXPECT_EQ(r->body_bytes, 500'000u);
}

TEST_F(CurlTransportTest, AsksForGzipOnlyWhenCompressionIsOn) {
  CurlTransport on;
  EXPECT_EQ(on.send(get(url("/accept-encoding")))->body, "gzip");
  CurlSettings s;
  s.compression = false;
  CurlTransport off(s);
  EXPECT_EQ(off.send(get(url("/accept-encoding")))->body, "-");
  // A gzip body is decoded whenever the server labels it so, asked for or not.
  auto r = off.send(get(url("/gzip?n=1000")));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, pattern_bytes(1000));
}

TEST_F(CurlTransportTest, GzipIsInflatedAsItStreamsAndMultiMemberBodiesAreWhole) {
  CurlTransport t;
  std::string got;
  const BodySink sink = [&](std::string_view b) {
    got.append(b);
    return ok_status();
  };
  auto r = t.send(get(url("/gzip?n=700000&members=3")), &sink);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(got, pattern_bytes(700'000) + pattern_bytes(700'000) + pattern_bytes(700'000));
  EXPECT_EQ(r->body_bytes, 2'100'000u);
  EXPECT_TRUE(r->body.empty());
}

TEST_F(CurlTransportTest, IdentityBodiesPassThroughUntouched) {
  CurlTransport t;
  // Bytes that look like gzip but are not labelled so are not decoded.
  auto r = t.send(get(url("/gzip?n=1000&encoding=identity")));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(static_cast<unsigned char>(r->body.at(0)), 0x1f);
  auto plain = t.send(get(url("/bytes?n=5000")));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->body, pattern_bytes(5000));
}

TEST_F(CurlTransportTest, CorruptOrTruncatedGzipIsTransientLikeATruncatedBody) {
  CurlTransport t;
  const BodySink sink = [](std::string_view) { return ok_status(); };
  auto corrupt = t.send(get(url("/gzip?n=300000&corrupt=1")), &sink);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().kind, ErrorKind::kTransient) << corrupt.error().describe();
  EXPECT_NE(corrupt.error().message.find("corrupt gzip stream"), std::string::npos) << corrupt.error().message;
  EXPECT_EQ(corrupt.error().http_status, 200);
  // A whole HTTP response whose gzip stream stops short: never a short 200.
  auto cut = t.send(get(url("/gzip?n=300000&cut=200")), &sink);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, ErrorKind::kTransient) << cut.error().describe();
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
  auto buffered = t.send(get(url("/gzip?n=300000&cut=200")));
  ASSERT_FALSE(buffered.ok());
  EXPECT_EQ(buffered.error().kind, ErrorKind::kTransient);
  EXPECT_TRUE(t.send(get(url("/gzip?n=300000")), &sink).ok());
}

TEST_F(CurlTransportTest, AnEncodingNotAskedForIsPermanent) {
  CurlTransport t;
  auto r = t.send(get(url("/gzip?n=1000&encoding=br")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error().message.find("unsupported Content-Encoding 'br'"), std::string::npos) << r.error().message;
}

TEST_F(CurlTransportTest, AStreamedGzipBombStopsAtTheDecodedCap) {
  CurlSettings s;
  s.max_streamed_body_bytes = 1'000'000;
  CurlTransport t(s);
  std::size_t got = 0;
  const BodySink sink = [&](std::string_view b) {
    got += b.size();
    return ok_status();
  };
  auto r = t.send(get(url("/gzip?n=20000000")), &sink);  // about 20 MB decoded from a few hundred KB
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error().message.find("response too large"), std::string::npos) << r.error().message;
  EXPECT_LE(got, 1'000'000u);
}

TEST_F(CurlTransportTest, BufferedSizeCapIsPermanent) {
  CurlSettings s;
  s.max_buffered_body_bytes = 10'000;
  CurlTransport t(s);
  auto r = t.send(get(url("/bytes?n=10001")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error().message.find("response too large"), std::string::npos);
  EXPECT_TRUE(t.send(get(url("/bytes?n=10000"))).ok());
  // The cap counts decoded bytes: a small gzip body that inflates past it is caught.
  auto bomb = t.send(get(url("/gzip?n=1000000")));
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.error().message.find("response too large"), std::string::npos);
}

TEST_F(CurlTransportTest, StreamedSizeCapIsPermanent) {
  CurlSettings s;
  s.max_buffered_body_bytes = 100;
  s.max_streamed_body_bytes = 200'000;
  CurlTransport t(s);
  const BodySink sink = [](std::string_view) { return ok_status(); };
  EXPECT_TRUE(t.send(get(url("/bytes?n=200000")), &sink).ok());  // streamed: the buffer cap does not apply
  auto r = t.send(get(url("/bytes?n=200001")), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error().message.find("response too large"), std::string::npos);
}

TEST_F(CurlTransportTest, TruncatedBodyIsTransientNeverAShort200) {
  CurlTransport t;
  std::string got;
  const BodySink sink = [&](std::string_view b) {
    got.append(b);
    return ok_status();
  };
  auto r = t.send(get(url("/truncated?n=200000")), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient) << r.error().describe();
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  EXPECT_LT(got.size(), 200'000u);
  auto buffered = t.send(get(url("/truncated?n=5000")));
  ASSERT_FALSE(buffered.ok());
  EXPECT_EQ(buffered.error().kind, ErrorKind::kTransient);
}

TEST_F(CurlTransportTest, ResetMidBodyIsTransient) {
  CurlTransport t;
  const BodySink sink = [](std::string_view) { return ok_status(); };
  auto r = t.send(get(url("/reset?n=400000")), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient) << r.error().describe();
  EXPECT_FALSE(r.error().not_sent);  // it went out: its outcome is unknown
  // And the pool recovers: the next call on a fresh connection works.
  EXPECT_TRUE(t.send(get(url("/ok"))).ok());
}

TEST_F(CurlTransportTest, TimeoutIsTransient) {
  CurlTransport t;
  Request r = get(url("/slow?ms=1500"));
  r.timeout = std::chrono::milliseconds(200);
  auto out = t.send(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kTransient);
  EXPECT_NE(out.error().message.find("curl 28"), std::string::npos) << out.error().message;
  EXPECT_FALSE(out.error().not_sent);
}

TEST_F(CurlTransportTest, ConnectionsAreReused) {
  CurlTransport t;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.send(get(url("/ok"))).ok());
  EXPECT_EQ(server_->connections_opened(), 1);
}

TEST_F(CurlTransportTest, ConcurrentCallsAllSucceedWithBoundedConnections) {
  CurlTransport t;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        auto r = t.send(get(url("/bytes?n=20000")));
        if (r.ok() && r->body == pattern_bytes(20'000)) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_LE(server_->connections_opened(), 8);
}

TEST(CurlTransportErrors, RefusedConnectionIsTransient) {
  // Bind and close a listener to get a port nothing listens on.
  std::uint16_t port = 0;
  {
    auto s = TestServer::start();
    port = s->port();
  }
  CurlTransport t;
  for (const char* scheme : {"http", "https"}) {
    auto r = t.send(get(std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + "/x"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTransient) << r.error().describe();
    EXPECT_EQ(r.error().http_status, 0);
    EXPECT_TRUE(r.error().not_sent);  // no connection: the server cannot have acted on it
  }
}

TEST(CurlTransportErrors, AnUnresolvableHostMeansTheRequestNeverLeft) {
  CurlTransport t;
  auto r = t.send(get("http://no-such-host.invalid/x"));  // RFC 6761: never resolves
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient) << r.error().describe();
  EXPECT_TRUE(r.error().not_sent) << r.error().describe();
}

TEST(CurlTransportErrors, OtherSchemesAndBadUrlsArePermanent) {
  CurlTransport t;
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"}) {
    auto r = t.send(get(url));
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().kind, ErrorKind::kPermanent) << url << ": " << r.error().describe();
  }
}

class TlsTest : public ::testing::Test {
 protected:
  std::unique_ptr<TestServer> server_ = TestServer::start(/*tls=*/true);
};

TEST_F(TlsTest, UntrustedCertificateIsRefusedPermanently) {
  CurlTransport t;  // the system CAs only: our test certificate is unknown
  auto r = t.send(get(server_->base_url() + "/ok"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent) << r.error().describe();
  EXPECT_NE(r.error().message.find("curl 60"), std::string::npos)
      << r.error().message;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(TlsTest, TrustedCertificateWorks) {
  const auto ca = std::filesystem::temp_directory_path() / ("gb-test-ca-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(ca) << testing::kTestCertPem;
  CurlSettings s;
  s.ca_file = ca.string();
  CurlTransport t(s);
  auto r = t.send(get(server_->base_url() + "/ok"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, "hello");
  // Concurrent TLS calls through the shared DNS/TLS-session caches.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        auto out = t.send(get(server_->base_url() + "/bytes?n=50000"));
        if (out.ok() && out->body == pattern_bytes(50'000)) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::filesystem::remove(ca);
  EXPECT_EQ(ok.load(), 20);
  // Verification checks the name too: "localhost" is not in the certificate.
  auto by_name = t.send(get("https://localhost:" + std::to_string(server_->port()) + "/ok"));
  EXPECT_FALSE(by_name.ok());
}

}  // namespace
}  // namespace gb::http

namespace gb::http {
namespace {

TEST_F(CurlTransportTest, ACancelStopsADownloadAtTheNextWriteCallback) {
  CurlTransport t;
  StopSignal cancel;
  std::uint64_t got = 0;
  const BodySink sink = [&](std::string_view bytes) {
    got += bytes.size();
    cancel.request();  // the soft time limit fires while the body streams in
    return ok_status();
  };
  Request r = get(url("/bytes?n=20000000"));
  r.limits.cancel = &cancel;
  auto out = t.send(r, &sink);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kInterrupted) << out.error().describe();
  EXPECT_LT(got, 20'000'000u);
  EXPECT_FALSE(process_stop().requested());
  EXPECT_TRUE(t.send(get(url("/ok"))).ok());  // the pool recovers
}

TEST_F(CurlTransportTest, ACancelStopsAWaitForASlowServer) {
  CurlTransport t;
  StopSignal cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel.request();
  });
  Request r = get(url("/slow?ms=4000"));
  r.limits.cancel = &cancel;
  const auto start = std::chrono::steady_clock::now();
  auto out = t.send(r);
  canceller.join();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kInterrupted) << out.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace gb::http
