// The baseline of the latency benchmark, written the way a first inline-edit
// extension usually is: ask for the instruction, open a WebSocket for this
// run, and on every delta replace the whole region with the output so far
// (while an edit is in flight, the next one takes the latest output). A
// keystroke in the document closes the socket. Its second command is the
// workbench's floor: Ctrl+Alt+U uppercases the selection at once, with no
// network and no model, so a key → painted figure shows what the workbench
// alone costs.
'use strict';
const vscode = require('vscode');

function activate(context) {
  // The bench reads each run's edit calls from here, as it reads Spark Edit's from its log.
  const log = vscode.window.createOutputChannel('Naive Edit', { log: true });
  context.subscriptions.push(
    log,
    // The floor: what any extension's edit costs from a key to the screen, with no network and no model.
    vscode.commands.registerCommand('naiveEdit.uppercaseSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const range = editor.selection;
      await editor.edit((b) => b.replace(range, editor.document.getText(range).toUpperCase()));
    }),
    vscode.commands.registerCommand('naiveEdit.editSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const instruction = await vscode.window.showInputBox({ title: 'Naive Edit: instruction' });
      if (!instruction) return;
      const doc = editor.document;
      const start = doc.offsetAt(editor.selection.start);
      const original = doc.getText(editor.selection);
      let length = original.length;
      let output = '';
      /** The text of the edit in flight: a change carrying anything else is the user's. */
      let applying;
      let stopped = false;
      let inFlight = false;
      let pending = false;
      let closed = false;
      /** Each edit call: sent at (epoch ms), +reply, characters. */
      const trips = [];
      const report = () => {
        if (closed && !inFlight) log.info(`sent the editor: ${trips.length} edit calls; edit round trips (sent at, +reply, edits/characters): ${trips.map((t) => `${t.sentAt} +${t.ms} ms (1/${t.chars})`).join(', ') || 'none'}`);
      };
      const endpoint = vscode.workspace.getConfiguration('naiveEdit').get('endpoint');
      const socket = new WebSocket(endpoint);
      const typed = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === doc && e.contentChanges.some((c) => c.text !== applying)) {
          stopped = true;
          socket.close();
        }
      });
      const replaceRegion = async () => {
        pending = true;
        if (inFlight) return;
        inFlight = true;
        while (pending && !stopped) {
          pending = false;
          const text = output;
          applying = text;
          const range = new vscode.Range(doc.positionAt(start), doc.positionAt(start + length));
          const sentAt = Date.now();
          const applied = await editor.edit((b) => b.replace(range, text), { undoStopBefore: false, undoStopAfter: false });
          trips.push({ sentAt, ms: Date.now() - sentAt, chars: text.length });
          applying = undefined;
          if (applied) length = text.length;
        }
        inFlight = false;
        report();
      };
      socket.addEventListener('open', () => {
        socket.send(
          JSON.stringify({
            type: 'response.create',
            model: 'gpt-5.3-codex-spark',
            input: [{ role: 'user', content: [{ type: 'input_text', text: `Instruction: ${instruction}\n\`\`\`\n${original}\`\`\`` }] }],
            stream: true,
          }),
        );
      });
      socket.addEventListener('message', (message) => {
        const event = JSON.parse(String(message.data));
        if (event.type === 'response.output_text.delta') {
          output += event.delta;
          void replaceRegion();
        } else if (event.type === 'response.completed' || event.type === 'error' || event.type === 'response.failed') {
          socket.close();
        }
      });
      socket.addEventListener('close', () => {
        typed.dispose();
        closed = true;
        report();
      });
    }),
  );
}

module.exports = { activate, deactivate() {} };
