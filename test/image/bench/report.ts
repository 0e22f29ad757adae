// Measures a built image for docs/image.md and the report: size
// uncompressed and compressed (gzip, as a registry stores it), and each layer
// with the Dockerfile step that made it. Reads the local containers storage
// through skopeo, so it needs the env of scripts/lib/buildah-env.sh:
//
//   bash -c '. scripts/lib/buildah-env.sh && node --import tsx test/image/bench/report.ts IMAGE [BASE_IMAGE]'
//
// With BASE_IMAGE, the layers that come from the base are summed apart from
// the ones the Dockerfile adds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

interface Descriptor {
  digest: string;
  size: number;
}
interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}
interface History {
  created_by?: string;
  empty_layer?: boolean;
}

const [image, baseImage] = process.argv.slice(2);
if (!image) {
  process.stderr.write('usage: report.ts IMAGE [BASE_IMAGE]\n');
  process.exit(2);
}

const work = mkdtempSync(path.join(tmpdir(), 'image-report-'));
const blob = (layout: string, digest: string) => path.join(layout, 'blobs', ...digest.split(':'));

/** Copies the image into an OCI layout (gzip layers, as pushed) and reads its manifest. */
function copyOut(name: string): { layout: string; manifest: Manifest } {
  const layout = path.join(work, Math.random().toString(36).slice(2));
  execFileSync('skopeo', ['copy', '--quiet', `containers-storage:${name}`, `oci:${layout}`], {
    stdio: 'inherit',
  });
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: Descriptor[];
  };
  const manifest = JSON.parse(readFileSync(blob(layout, index.manifests[0]!.digest), 'utf8')) as Manifest;
  return { layout, manifest };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1).padStart(7);
const sum = (layers: Descriptor[]) => layers.reduce((total, layer) => total + layer.size, 0);

try {
  const gzip = copyOut(image);
  // Uncompressed size = the layer tar, i.e. what the layer takes unpacked.
  const plain = {
    manifest: {
      layers: gzip.manifest.layers.map((layer) => ({
        digest: layer.digest,
        size: gunzipSync(readFileSync(blob(gzip.layout, layer.digest))).length,
      })),
    },
  };
  const config = JSON.parse(readFileSync(blob(gzip.layout, gzip.manifest.config.digest), 'utf8')) as {
    history?: History[];
  };
  const steps = (config.history ?? []).filter((entry) => !entry.empty_layer);
  const baseLayers = baseImage ? copyOut(baseImage).manifest.layers.length : 0;

  console.log(`image ${image}`);
  console.log('layer  uncompressed MB  gzip MB  step');
  plain.manifest.layers.forEach((layer, i) => {
    const step = (steps[i]?.created_by ?? '').replace(/^\/bin\/sh -c (#\(nop\) )?/, '').slice(0, 90);
    const origin = i < baseLayers ? '[base] ' : '';
    console.log(
      `${String(i + 1).padStart(5)}  ${mb(layer.size)}          ${mb(gzip.manifest.layers[i]!.size)}  ${origin}${step}`,
    );
  });
  const total = sum(plain.manifest.layers);
  const totalGzip = sum(gzip.manifest.layers);
  console.log(`total  ${mb(total)}          ${mb(totalGzip)}  (layer tars; gzip = what a registry stores)`);
  if (baseImage) {
    const added = sum(plain.manifest.layers.slice(baseLayers));
    const addedGzip = sum(gzip.manifest.layers.slice(baseLayers));
    console.log(
      `added  ${mb(added)}          ${mb(addedGzip)}  (the Dockerfile's own layers, without ${baseImage})`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
