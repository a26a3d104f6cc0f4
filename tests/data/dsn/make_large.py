#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes large-status-part.eml: a REQUIRETLS bounce whose message/delivery-status part is
larger than the parser reads (1 MiB): 6 000 recipient groups, about 1.5 MB, the way an MTA
reports a message to a very large list. Deterministic: running it again gives the same bytes.

  python3 tests/data/dsn/make_large.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
N = 6000
B = "large-01/mx.sender.test"

groups = []
for i in range(N):
    groups.append(f"Final-Recipient: rfc822; member{i:05d}@lists.example.org\n"
                  f"Original-Recipient: rfc822;member{i:05d}@lists.example.org\n"
                  "Action: failed\n"
                  "Status: 5.7.30\n"
                  "Remote-MTA: dns; mx1.lists.example.org\n"
                  "Diagnostic-Code: smtp; 550 5.7.30 REQUIRETLS support required\n")
data = f"""Date: Wed, 25 Nov 2026 08:00:05 +0000 (UTC)
From: MAILER-DAEMON@mx.sender.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: alice@sender.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Message-Id: <bounce-large-status-part.eml@mx.sender.test>
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{B}"

--{B}
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to {N} recipients.

--{B}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.test
Original-Envelope-Id: rtls-c6000000000000000000aaaa
Arrival-Date: Wed, 25 Nov 2026 07:59:58 +0000 (UTC)

""" + "\n".join(groups) + f"""
--{B}
Content-Type: text/rfc822-headers

From: Alice Example <alice@sender.test>
To: all@lists.example.org
Subject: Announcement to everyone
Message-ID: <rtls-c6000000000000000000aaaa@sender.test>
Date: Tue, 24 Nov 2026 10:00:00 +0000

--{B}--
"""
with open(os.path.join(HERE, "large-status-part.eml"), "w") as f:
    f.write(data)
print("wrote large-status-part.eml,", len(data), "bytes")
