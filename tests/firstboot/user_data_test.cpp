#include "firstboot/user_data.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>

#include "firstboot/codec.hpp"
#include "firstboot/plan.hpp"

using namespace kiln;
using namespace kiln::firstboot;

namespace {

std::vector<std::string> errors_of(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& e : d.errors()) out.push_back(e.str());
  return out;
}

Plan plan_for(const std::string& user_data) {
  SeedData s;
  s.user_data = {"ud", user_data};
  s.meta_data = SeedFile{"md", "instance-id: i-1\n"};
  return build_plan(s, TargetFacts{});
}

std::string mime(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string m = "Content-Type: multipart/mixed; boundary=\"BOUND\"\nMIME-Version: 1.0\n\n";
  for (const auto& [headers, body] : parts) m += "--BOUND\n" + headers + "\n\n" + body + "\n";
  return m + "--BOUND--\n";
}

}  // namespace

TEST_CASE("plain #cloud-config user-data is one part and empty user-data is none", "[unit]") {
  Diagnostics d("ud");
  auto parts = decode_user_data("#cloud-config\nhostname: a\n", d);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].name == "ud");
  CHECK(decode_user_data("", d).empty());
  CHECK(decode_user_data("  \n", d).empty());
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("non-cloud-config user-data is named in the error", "[unit]") {
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"#!/bin/bash\necho",
            "ud:1:1: user-data is a script (#!); kiln-firstboot applies only #cloud-config (put "
            "commands in runcmd)"},
           {"#cloud-boothook\necho",
            "ud:1:1: user-data is a boothook (#cloud-boothook); kiln-firstboot applies only "
            "#cloud-config"},
           {"#cloud-config-archive\n- a",
            "ud:1:1: user-data is a cloud-config archive (#cloud-config-archive); kiln-firstboot "
            "applies only #cloud-config"},
           {"## template: jinja\n#cloud-config",
            "ud:1:1: user-data is a template (## template:); kiln-firstboot applies only "
            "#cloud-config"},
           {"#part-handler\n",
            "ud:1:1: user-data is a part handler (#part-handler); kiln-firstboot applies only "
            "#cloud-config"},
           {"hostname: a\n",
            "ud:1:1: user-data must start with '#cloud-config' (or be MIME multipart or "
            "gzip-compressed)"},
       }) {
    Diagnostics d("ud");
    CHECK(decode_user_data(text, d).empty());
    CHECK(errors_of(d) == std::vector<std::string>{message});
  }
}

TEST_CASE("gzip-compressed user-data is decompressed, bounded", "[unit]") {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string in = "#cloud-config\nhostname: gz\n";
  std::string out(256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  Plan p = plan_for(out);
  CHECK(p.valid());
  CHECK(p.config.hostname == "gz");
}

TEST_CASE("raw user-data over the limit is refused before any parsing", "[unit]") {
  Diagnostics d("ud");
  std::string big = "#cloud-config\n" + std::string(1024 * 1024, '#');
  CHECK(decode_user_data(big, d).empty());
  CHECK(errors_of(d) == std::vector<std::string>{"ud: is larger than 1.0 MiB (the limit)"});
}

TEST_CASE("MIME parts that are cloud-config merge, later keys replacing earlier ones", "[unit]") {
  std::string b64 =
      "I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogc2Vjb25kCg==";  // #cloud-config\nhostname: second\n
  Plan p = plan_for(mime({
      {"Content-Type: text/cloud-config",
       "#cloud-config\nhostname: first\ntimezone: Etc/UTC\nruncmd:\n  - [echo, one]"},
      {"Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64", b64},
      {"Content-Type: text/plain", "#cloud-config\nruncmd:\n  - [echo, three]"},
  }));
  for (const auto& d : p.diagnostics) UNSCOPED_INFO(d.str());
  CHECK(p.valid());
  CHECK(p.config.hostname == "second");
  CHECK(p.config.timezone == "Etc/UTC");
  REQUIRE(p.config.runcmd.size() == 1);
  CHECK(p.config.runcmd[0].argv == std::vector<std::string>{"echo", "three"});
}

TEST_CASE("MIME errors point at the part, in file lines, and name it", "[unit]") {
  Plan p = plan_for(mime({
      {"Content-Type: text/cloud-config", "#cloud-config\nhostname: ok\nbogus: 1"},
      {"Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"run.sh\"",
       "#!/bin/sh\necho"},
      {"Content-Type: text/plain", "#include\nhttp://x/"},
      {"Content-Type: text/cloud-config\nContent-Transfer-Encoding: quoted-printable",
       "#cloud-config"},
      {"Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64", "!!!!"},
  }));
  std::vector<std::string> got;
  for (const auto& e : p.errors()) got.push_back(e.str());
  CHECK(got == std::vector<std::string>{
                   "ud:9:1: unknown key 'bogus' in cloud-config",
                   "ud:11:1: part 2 ('run.sh') is text/x-shellscript; kiln-firstboot applies only "
                   "text/cloud-config parts",
                   "ud:17:1: part 3 is an include list (#include); kiln-firstboot applies only "
                   "text/cloud-config parts",
                   "ud:22:1: part 4 uses Content-Transfer-Encoding quoted-printable; only base64, "
                   "7bit and 8bit are supported",
                   "ud:30:1: part 5 is not valid base64: invalid base64 character at offset 0",
               });
}
