# Aspen standard library: personal data (PII) patterns.
#
#   import "pii"
#   rule mask_pii { on request  redact pii.ssn  redact pii.credit_card with "#" }
#   rule no_pii   { on request  when request.body matches pii.iban  deny "IBAN in a prompt" }
#
# Patterns run over the raw request body (JSON): a newline inside a prompt is
# the two bytes \n there. \b is a word boundary (ASCII [A-Za-z0-9_]). The
# "match:" / "no match:" lines before each pattern are checked by
# tests/unit/test_regex_pcre2.c against the DFA, the userspace matcher and
# PCRE2. See docs/language.md, "Patterns".

# US Social Security number, AAA-GG-SSSS: area 001-899 except 666, group
# 01-99, serial 0001-9999 (SSA's rules for numbers ever issued).
#   match: my ssn is 123-45-6789.
#   match: "078-05-1120"
#   no match: 000-12-3456
#   no match: 666-12-3456
#   no match: 912-34-5678
#   no match: 123-00-4567
#   no match: 123-45-0000
#   no match: 1123-45-6789
#   no match: 123456789
pattern ssn = /\b(00[1-9]|0[1-9]\d|[1-578]\d\d|6[0-57-9]\d|66[0-57-9])-(0[1-9]|[1-9]\d)-(000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d\d\d)\b/

# Payment card numbers of the main networks, 4-4-4-4 digits (Amex 4-6-5),
# optionally separated by single spaces or dashes: Visa 4, Mastercard 51-55
# and 2221-2720, Amex 34/37, Discover 6011/65. aspend masks a match only when
# the Luhn check passes (validate luhn); the kernel's `matches` does not run
# validators, so `request.body matches pii.credit_card` also holds for
# numbers that fail Luhn.
#   match: card 4111 1111 1111 1111 exp 12/29
#   match: 5500-0000-0000-0004
#   match: 2223000048400011
#   match: 378282246310005
#   match: 3782 822463 10005
#   match: 6011111111111117
#   no match: 4111 1111 1111
#   no match: 1234 5678 9012 3456
#   no match: 41111111111111111111
#   no match: 7111111111111111
pattern credit_card = /\b(4\d{3}([ -]?\d{4}){3}|(5[1-5]\d\d|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)([ -]?\d{4}){3}|3[47]\d\d[ -]?\d{6}[ -]?\d{5}|6(011|5\d\d)([ -]?\d{4}){3})\b/ validate luhn

# E-mail addresses (the common shape, not all of RFC 5322).
#   match: write to jane.doe+ai@example.co.uk today
#   match: ROOT@LOCALHOST.ORG
#   no match: jane.doe@localhost
#   no match: @example.com
#   no match: jane at example dot com
pattern email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b/

# Phone numbers: North American (NANP, with area code; separators required
# between the groups, or parentheses around the area code) and E.164
# international (+ and 8 to 15 digits).
#   match: call (415) 555-2671 now
#   match: 415-555-2671
#   match: +1 415.555.2671
#   match: +442071838750
#   no match: 4155552671
#   no match: 015-555-2671
#   no match: 415-555-267
#   no match: +12345
pattern phone = /((\+1[ .-]?|\b1[ .-])?(\([2-9]\d\d\) ?|\b[2-9]\d\d[ .-])[2-9]\d\d[ .-]\d{4}|\+[1-9]\d{7,14})\b/

# IBAN: country code, two check digits, 11 to 30 letters or digits, in
# groups of four separated by single spaces or not at all. The check digits
# are not verified.
#   match: DE89 3704 0044 0532 0130 00
#   match: GB82WEST12345698765432
#   match: FR1420041010050500013M02606
#   no match: DE89 3704
#   no match: de89370400440532013000
pattern iban = /\b[A-Z]{2}\d\d( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?\b/

# IPv4 addresses in dotted quad notation, each octet 0-255.
#   match: from 192.168.1.20 to 10.0.0.1
#   match: 255.255.255.255
#   no match: 256.1.1.1
#   no match: 1.2.3
#   no match: 300.400.500.600
pattern ipv4 = /\b(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b/

# Dates of birth: a date (MM/DD/YYYY, MM-DD-YYYY, YYYY-MM-DD, 1900-2099) after
# "DOB", "date of birth", "birth date", "birthdate" or "born on". A date alone
# is not personal data: the label is what makes it one.
#   match: DOB: 04/12/1985
#   match: date of birth 1985-04-12
#   match: Born on 4-12-1985
#   no match: invoice date 04/12/1985
#   no match: DOB: 13/45/1985
pattern dob = /\b(dob|date of birth|birth ?date|born on)\W{0,3}((0?[1-9]|1[0-2])[\/-](0?[1-9]|[12]\d|3[01])[\/-](19|20)\d\d|(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))\b/i
