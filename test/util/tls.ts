/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with `openssl`, for
 * tests of HTTPS registries. The leaf is signed by a separate CA because rustls (Deno's TLS) refuses a self-signed
 * CA certificate used as the server's own (`CaUsedAsEndEntity`).
 *
 * @module
 */

export interface TestCertificates {
  /** Dir holding the files below; remove it when done. */
  dir: string;
  /** PEM path of the CA certificate to trust (`caCerts`, `--cert-dir`, SSL_CERT_FILE). */
  caCert: string;
  /** PEM path of the server certificate (SAN IP:127.0.0.1, DNS:localhost). */
  cert: string;
  /** PEM path of the server key. */
  key: string;
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-tls-" });
  const caCert = `${dir}/ca.pem`, caKey = `${dir}/ca-key.pem`;
  const cert = `${dir}/cert.pem`, key = `${dir}/key.pem`, csr = `${dir}/server.csr`, ext = `${dir}/ext.cnf`;
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=tsbuild test CA",
    "-keyout",
    caKey,
    "-out",
    caCert,
  ]);
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr]);
  await Deno.writeTextFile(
    ext,
    "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n" +
      "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caCert,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    ext,
    "-out",
    cert,
  ]);
  return { dir, caCert, cert, key };
}

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}
