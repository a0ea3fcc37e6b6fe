-- Drives `specpilot serve` through Neovim's built-in LSP client (Neovim 0.7+),
-- headless. Environment: SPECPILOT_PYTHON (interpreter), SPECPILOT_WS (fixture
-- workspace), SPECPILOT_OUT (JSON answers written here for the pytest test).
local python = assert(os.getenv("SPECPILOT_PYTHON"), "SPECPILOT_PYTHON not set")
local ws = assert(os.getenv("SPECPILOT_WS"), "SPECPILOT_WS not set")
local out = assert(os.getenv("SPECPILOT_OUT"), "SPECPILOT_OUT not set")
local timeout = tonumber(os.getenv("SPECPILOT_TIMEOUT_MS") or "240000")

local report = { statuses = {}, errors = {} }
local ready = false

local function finish()
  local file = assert(io.open(out, "w"))
  file:write(vim.fn.json_encode(report))
  file:close()
  vim.cmd("qall!")
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = "specpilot",
    cmd = { python, "-m", "specpilot", "serve" },
    root_dir = ws,
    workspace_folders = { { uri = vim.uri_from_fname(ws), name = "fixture" } },
    handlers = {
      ["specpilot/indexStatus"] = function(_, result)
        table.insert(report.statuses, result.state)
        if result.state == "ready" then
          ready = true
        end
      end,
    },
  })
  assert(client_id, "the language client did not start")
  vim.cmd("edit " .. vim.fn.fnameescape(ws .. "/httpkit/headers.py"))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)
  report.ready = vim.wait(timeout, function() return ready end, 100)
  local client = vim.lsp.get_client_by_id(client_id)

  local symbols = client.request_sync("workspace/symbol", { query = "parse the http header" }, 60000, bufnr)
  report.workspace_symbol = symbols and symbols.result or vim.NIL
  report.errors.workspace_symbol = symbols and symbols.err or "no answer"

  local outline = client.request_sync("textDocument/documentSymbol",
    { textDocument = vim.lsp.util.make_text_document_params(bufnr) }, 60000, bufnr)
  report.document_symbol = outline and outline.result or vim.NIL
  report.errors.document_symbol = outline and outline.err or "no answer"

  client.stop()
  vim.wait(10000, function() return client.is_stopped() end, 100)
end)
if not ok then
  report.failure = tostring(err)
end
finish()
