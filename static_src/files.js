/*
 * The chosen files, checked and prepared in the reporter's browser (SPEC §3.10, issue 17), for
 * the report form (seal.js) and the follow-up (followup.js): count, size and type by the first
 * bytes (as reporting/uploads.py checks them), photos drawn on a canvas and encoded again, which
 * leaves their metadata (EXIF, GPS, XMP) behind; a PDF, or a photo whose metadata the person
 * keeps, is marked "not cleaned" and cleaned by the server at the first opening by a counsellor.
 * Sealing is formats.js's sealFile; the streams go as multipart/form-data built here.
 */
import { concat, encoder, random } from "./formats.js";

const JPEG = "image/jpeg";
const PNG = "image/png";
const WEBP = "image/webp";
const PDF = "application/pdf";
const MAX_IMAGE_PIXELS = 50000000; // reporting/files.py
const NAME_MAX = 200;

/* reporting.files.sniff_type: the type by the first bytes, never by the name. */
function sniffType(head) {
  const starts = (...bytes) => bytes.every((byte, i) => head[i] === byte);
  if (starts(0xff, 0xd8, 0xff)) {
    return JPEG;
  }
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) {
    return PNG;
  }
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 && head[11] === 0x50) {
    return WEBP;
  }
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) {
    return PDF;
  }
  return null;
}

function canReencode() {
  return typeof createImageBitmap === "function"
    && (typeof OffscreenCanvas === "function" || typeof HTMLCanvasElement === "function");
}

/* The photo drawn from its pixels and encoded again in its own type: nothing but pixels
   survives (no EXIF, GPS, XMP, comments). null when this browser cannot do it faithfully. */
async function reencode(file, type) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    if (!bitmap.width || !bitmap.height || bitmap.width * bitmap.height > MAX_IMAGE_PIXELS) {
      return null;
    }
    let blob;
    const options = { type, quality: 0.92 };
    if (typeof OffscreenCanvas === "function") {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      canvas.getContext("2d").drawImage(bitmap, 0, 0);
      blob = await canvas.convertToBlob(options);
    } else {
      const canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext("2d").drawImage(bitmap, 0, 0);
      blob = await new Promise((resolve) => canvas.toBlob(resolve, type, 0.92));
    }
    // a browser without an encoder for the type hands back a PNG: not what was chosen
    return blob && blob.type === type ? new Uint8Array(await blob.arrayBuffer()) : null;
  } finally {
    bitmap.close();
  }
}

/* The chosen files ready to seal, or null: then the ordinary post takes them (and the server
   explains a file it refuses). */
export async function prepareFiles(report) {
  const { chosen, limits, keepMetadata } = report;
  if (chosen.length > limits.files) {
    return null;
  }
  if (chosen.length && !canReencode() && !keepMetadata) {
    return null;
  }
  const prepared = [];
  for (const file of chosen) {
    if (file.size > limits.bytes) {
      return null;
    }
    const type = sniffType(new Uint8Array(await file.slice(0, 16).arrayBuffer()));
    if (!type) {
      return null;
    }
    let bytes;
    let cleaned = false;
    if (type === PDF || keepMetadata) {
      bytes = new Uint8Array(await file.arrayBuffer());
    } else {
      bytes = await reencode(file, type);
      cleaned = true;
    }
    if (!bytes || bytes.length > limits.bytes) {
      return null;
    }
    const name = (file.name || "").split(/[\\/]/).pop().slice(0, NAME_MAX);
    prepared.push({ name, contentType: type, bytes, cleaned, keepMetadata });
  }
  return prepared;
}

/* What a file control offers: the chosen files, its limits, whether metadata is kept. */
export function chosenFiles(form) {
  const input = form.querySelector('input[type="file"]');
  const keep = form.elements.namedItem("keep_metadata");
  return {
    chosen: input && input.files ? [...input.files] : [],
    keepMetadata: Boolean(keep && keep.type === "checkbox" && keep.checked),
    limits: {
      files: +(input && input.getAttribute("data-max-files")) || 5,
      bytes: +(input && input.getAttribute("data-max-bytes")) || 10 * 1024 * 1024,
    },
  };
}

/* multipart/form-data as bytes (the field `sealed`, then a part `file` for each stream), so
   that what is sent is exactly these bytes. */
export function multipart(sealed, streams) {
  const boundary = `----meldestelle${[...random(12)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const parts = [encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="sealed"\r\n\r\n`),
    encoder.encode(JSON.stringify(sealed))];
  for (const stream of streams) {
    parts.push(encoder.encode(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="sealed"\r\n`
      + "Content-Type: application/octet-stream\r\n\r\n"), ...stream);
  }
  parts.push(encoder.encode(`\r\n--${boundary}--\r\n`));
  return { body: concat(...parts), type: `multipart/form-data; boundary=${boundary}` };
}

export async function postFiles(url, sealed, streams) {
  const { body, type } = multipart(sealed, streams);
  const response = await fetch(url, {
    method: "POST", credentials: "omit", cache: "no-store", headers: { "Content-Type": type, Accept: "application/json" },
    body,
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}
