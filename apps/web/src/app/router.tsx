import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { paths } from '../config/paths';
import { ShellPage } from './shell-page';

export function AppRouter() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path={paths.home} element={<ShellPage />} />
        <Route path="*" element={<ShellPage />} />
      </Routes>
    </BrowserRouter>
  );
}
