import fs from 'node:fs';
import path from 'node:path';

const packageVersion = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('the version Propeller prints', () => {
  it('When package.json is read, then the version and the banner are its version', async () => {
    const { PROPELLER_VERSION, runningLine } = await import('./version');
    expect(PROPELLER_VERSION).toBe(packageVersion);
    expect(runningLine()).toBe(`Propeller ${packageVersion} is running.`);
    expect(runningLine('on a Temporal cluster')).toBe(`Propeller ${packageVersion} is running on a Temporal cluster.`);
  });

  it('When package.json holds another version, then the banner prints that one (nothing is hard-coded)', () => {
    jest.isolateModules(() => {
      jest.doMock('../package.json', () => ({ version: '9.8.7-test' }));
      const { runningLine } = require('./version') as typeof import('./version');
      expect(runningLine()).toBe('Propeller 9.8.7-test is running.');
    });
  });
});
