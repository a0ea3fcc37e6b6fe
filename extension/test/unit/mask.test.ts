import { describe, expect, it } from "vitest";
import { HIDDEN, Masker } from "../../src/mask";

describe("masking keys before the log", () => {
  it("hides the value of a key member as the protocol trace prints it", () => {
    const trace = 'Sending notification \'specpilot/setApiKey\'.\nParams: {\n    "provider": "openai",\n    "key": "sk-proj-A1b2C3d4E5f6G7h8"\n}';
    const out = new Masker().mask(trace);
    expect(out).not.toContain("sk-proj-A1b2C3d4E5f6G7h8");
    expect(out).toContain(`"key": "${HIDDEN}"`);
    expect(out).toContain('"provider": "openai"');
  });
  it("hides compact JSON with escapes, and leaves an empty key empty", () => {
    const out = new Masker().mask('{"provider":"anthropic","key":"sk-ant-\\"quoted\\"-x"} {"key": ""}');
    expect(out).toBe(`{"provider":"anthropic","key":"${HIDDEN}"} {"key": ""}`);
  });
  it("hides a key it was given wherever it appears", () => {
    const masker = new Masker();
    masker.add("sk-e2e-0123456789abcdef");
    masker.add("short");
    expect(masker.mask("error from provider with sk-e2e-0123456789abcdef in it; short words stay"))
      .toBe(`error from provider with ${HIDDEN} in it; short words stay`);
  });
});
