// Loaded before klwasm: records how WebAssembly modules get compiled, so the tests can tell
// streaming compilation from a URL (init({ wasmBaseUrl })) from compiling the embedded bytes.
(function () {
  var calls = { compileStreaming: [], compileBytes: 0 };
  window.wasmCalls = calls;
  var compileStreaming = WebAssembly.compileStreaming;
  if (compileStreaming) {
    WebAssembly.compileStreaming = function (source) {
      return Promise.resolve(source).then(function (response) {
        calls.compileStreaming.push(new URL(response.url).pathname);
        return compileStreaming.call(WebAssembly, response);
      });
    };
  }
  var compile = WebAssembly.compile;
  WebAssembly.compile = function (bytes) {
    calls.compileBytes++;
    return compile.call(WebAssembly, bytes);
  };
})();
