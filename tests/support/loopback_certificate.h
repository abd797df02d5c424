// The certificate and key of the loopback TLS tests (http_test_tls, async_test_http2).
#pragma once

namespace bedrock_lite::test {

// A self-signed certificate for IP 127.0.0.1 (valid until 2126), made with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
//     -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -addext
//     basicConstraints=critical,CA:TRUE
// It serves as its own CA bundle. Test-only key material, never a secret.
inline constexpr const char* kTestCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBkTCCATagAwIBAgIUelHuLgXkbV/Qp9+CjmtUMo/l7XIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMzE4Mzc0MFoYDzIxMjYxMDMw
MTgzNzQwWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQP4ZokgHt3KLBuuTwS4hOkUqK/ei1k6WZbbkNUW1BtWC3QG/bSe1ks
4YI60LryDkvxpqW22Me/55Rne8XoEUl9o2QwYjAdBgNVHQ4EFgQUVUjRMJcf+s4G
U0TrTvjwsrHRfYYwHwYDVR0jBBgwFoAUVUjRMJcf+s4GU0TrTvjwsrHRfYYwDwYD
VR0RBAgwBocEfwAAATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYC
IQCf7P74jT15czjjO54y/YYQKTNu+kBXw8mLxP4uItvPRAIhAPeyF/qnnN7NWtZD
7y61YPEGu1S6f+VuOxyCe2xhIMkK
-----END CERTIFICATE-----
)";
inline constexpr const char* kTestPrivateKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYDdOoMQTydf2jOtJ
uGKnwfHQ7utNFzwb5khUfO2cDyyhRANCAAQP4ZokgHt3KLBuuTwS4hOkUqK/ei1k
6WZbbkNUW1BtWC3QG/bSe1ks4YI60LryDkvxpqW22Me/55Rne8XoEUl9
-----END PRIVATE KEY-----
)";

}  // namespace bedrock_lite::test
