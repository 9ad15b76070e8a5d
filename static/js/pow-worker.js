/*
 * Proof-of-work worker. Receives {challenge, difficulty} and answers {nonce} with the smallest
 * decimal nonce (counting from 0) for which SHA-256(challenge + ":" + nonce), over UTF-8,
 * begins with `difficulty` zero bits. Answers {error} if it cannot hash.
 */
"use strict";

var BATCH = 512;

function leadingZeroBits(bytes, wanted) {
  var full = wanted >> 3;
  for (var i = 0; i < full; i++) {
    if (bytes[i] !== 0) {
      return false;
    }
  }
  var rest = wanted & 7;
  if (rest === 0) {
    return true;
  }
  return (bytes[full] >> (8 - rest)) === 0;
}

async function solve(challenge, difficulty) {
  var encoder = new TextEncoder();
  var prefix = challenge + ":";
  for (var start = 0; ; start += BATCH) {
    var pending = [];
    for (var n = start; n < start + BATCH; n++) {
      pending.push(crypto.subtle.digest("SHA-256", encoder.encode(prefix + n)));
    }
    var digests = await Promise.all(pending);
    for (var k = 0; k < digests.length; k++) {
      if (leadingZeroBits(new Uint8Array(digests[k]), difficulty)) {
        return String(start + k);
      }
    }
  }
}

self.onmessage = function (event) {
  var data = event.data || {};
  var difficulty = Number(data.difficulty);
  if (typeof data.challenge !== "string" || !(difficulty >= 1 && difficulty <= 256)) {
    self.postMessage({ error: "bad request" });
    return;
  }
  if (!self.crypto || !self.crypto.subtle) {
    self.postMessage({ error: "no crypto" });
    return;
  }
  solve(data.challenge, Math.floor(difficulty)).then(
    function (nonce) {
      self.postMessage({ nonce: nonce });
    },
    function () {
      self.postMessage({ error: "hash failed" });
    }
  );
};
