// RAII for the OpenSSL objects used to make and serve TLS identities:
// keys, certificates, extensions, memory BIOs, TLS contexts and connections.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/c_ptr.hpp"

namespace kiln {

using EvpPkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = CPtr<X509, X509_free>;
using X509ExtensionPtr = CPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BioPtr = CPtr<BIO, BIO_free_all>;
using SslCtxPtr = CPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = CPtr<SSL, SSL_free>;

}  // namespace kiln
