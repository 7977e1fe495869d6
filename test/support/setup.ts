import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

// Runs in every test file: whatever tempDir() made goes when the file is done.
afterAll(removeTempDirs);
